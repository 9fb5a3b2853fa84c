/**
 * br-criu's resource provider: one handler per kind of resource, chosen by
 * the resource's type token. Cancelling (Ctrl-C on `pulumi up`) stops every
 * running command's process group.
 */
import type { EngineLog } from "./engine-log";
import { bootTestKind } from "./kinds/boot-test";
import { buildImageKind } from "./kinds/build-image";
import { cacheDirectoryKind, cacheVolumeKind } from "./kinds/caches";
import { checkoutKind } from "./kinds/checkout";
import { doubleBuildKind } from "./kinds/double-build";
import { hostToolsKind } from "./kinds/host-tools";
import type { CheckFailure, CreatedResource, DiffOutcome, KindContext, Properties, ResourceKind } from "./kinds/kind";
import { stageKind } from "./kinds/stage";
import { ProcessGroups } from "./run";
import { PROVIDER_VERSION, RESOURCE_TYPES, STAGE_TYPE_PREFIX } from "./types";

export type { DetailedDiff } from "./kinds/kind";

const KINDS: Readonly<Record<string, ResourceKind>> = {
  [RESOURCE_TYPES.checkout]: checkoutKind,
  [RESOURCE_TYPES.buildImage]: buildImageKind,
  [RESOURCE_TYPES.cacheVolume]: cacheVolumeKind,
  [RESOURCE_TYPES.cacheDirectory]: cacheDirectoryKind,
  [RESOURCE_TYPES.hostTools]: hostToolsKind,
  [RESOURCE_TYPES.bootTest]: bootTestKind,
  [RESOURCE_TYPES.doubleBuild]: doubleBuildKind,
};

/** The handler of a resource type; every stage of the stage table shares one. */
export function kindOf(type: string): ResourceKind {
  if (type.startsWith(STAGE_TYPE_PREFIX)) return stageKind;
  const kind = Object.hasOwn(KINDS, type) ? KINDS[type] : undefined;
  if (!kind) throw new Error(`br-criu's provider has no resource type ${type}`);
  return kind;
}

/** What the gRPC server (server.ts) hands requests to. */
export interface BrCriuProvider {
  readonly version: string;
  check(type: string, news: Properties): CheckFailure[];
  diff(type: string, olds: Properties, oldInputs: Properties, news: Properties): DiffOutcome;
  create(type: string, urn: string, inputs: Properties): Promise<CreatedResource>;
  read(type: string, urn: string, id: string, props: Properties): Promise<{ id: string; props: Properties }>;
  update(type: string, olds: Properties, news: Properties): Promise<Properties>;
  delete(type: string, urn: string, id: string, props: Properties): Promise<void>;
  cancel(): Promise<void>;
}

export function brCriuProvider(log: EngineLog, groups: ProcessGroups = new ProcessGroups()): BrCriuProvider {
  const context = (urn: string): KindContext => ({ urn, log, groups });
  return {
    version: PROVIDER_VERSION,
    check: (type, news) => kindOf(type).check(news),
    diff: (type, olds, oldInputs, news) => kindOf(type).diff(olds, oldInputs, news),
    create: (type, urn, inputs) => kindOf(type).create(inputs, context(urn)),
    read: (type, urn, id, props) => kindOf(type).read(id, props, context(urn)),
    update: (type, olds, news) => kindOf(type).update(olds, news),
    delete: (type, urn, id, props) => kindOf(type).delete(id, props, context(urn)),
    cancel: () => groups.cancelAll(),
  };
}
