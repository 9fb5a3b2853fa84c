/**
 * The caches every stack shares: Buildroot's downloads and ccache, as Docker
 * volumes (docker mode) or directories (host mode). `pulumi destroy` keeps
 * them unless br-criu:retainCaches is false (the engine does not call delete
 * for a retained resource); refresh forgets one that is gone, so the next
 * `pulumi up` makes it again.
 */
import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, rmSync, statSync } from "node:fs";
import { VOLUME_NAME } from "@br-criu/model";
import { dockerCli, type DockerEndpoint } from "@br-criu/planner";
import { runArgv } from "../run";
import type { CacheInputs } from "../types";
import { check } from "./checks";
import { explained } from "./commands";
import { diffByRules, keepOutputs, type Properties, type ResourceKind } from "./kind";

const asCache = (props: Properties) => props as unknown as CacheInputs;

function volumeExists(name: string, endpoint: DockerEndpoint | undefined): boolean {
  const [docker, ...options] = dockerCli(endpoint);
  return spawnSync(docker, [...options, "volume", "inspect", name], { stdio: "ignore" }).status === 0;
}

export const cacheVolumeKind: ResourceKind = {
  check: (news) =>
    check(news, (c) => {
      const stackKey = typeof news["stackKey"] === "string" ? news["stackKey"] : "downloadCache";
      c.grammar("name", VOLUME_NAME, stackKey);
      c.endpoint("endpoint");
    }),

  diff: (olds, oldInputs, news) => diffByRules(olds, oldInputs, news, { replaceOn: ["name", "endpoint"] }),

  async create(inputs, context) {
    const { name, endpoint } = asCache(inputs);
    try {
      await runArgv([...dockerCli(endpoint), "volume", "create", name], {
        dir: "/",
        groups: context.groups,
        what: `docker volume ${name}`,
      });
    } catch (error) {
      // docker's own message (a build host that refuses the connection, a bad certificate) says what to fix.
      throw explained(error);
    }
    return { id: name, outs: inputs };
  },

  read: (id, props) =>
    Promise.resolve({ id: volumeExists(asCache(props).name, asCache(props).endpoint) ? id : "", props }),

  update: (olds, news) => Promise.resolve(keepOutputs(olds, news, [])),

  async delete(_id, props, context) {
    const { name, endpoint } = asCache(props);
    if (volumeExists(name, endpoint))
      await runArgv([...dockerCli(endpoint), "volume", "rm", name], {
        dir: "/",
        groups: context.groups,
        what: `docker volume rm ${name}`,
      });
  },
};

const isDirectory = (path: string) => existsSync(path) && statSync(path).isDirectory();

export const cacheDirectoryKind: ResourceKind = {
  check: (news) => check(news, (c) => c.absolutePath("name")),

  diff: (olds, oldInputs, news) => diffByRules(olds, oldInputs, news, { replaceOn: ["name"] }),

  create(inputs) {
    const { name } = asCache(inputs);
    mkdirSync(name, { recursive: true });
    return Promise.resolve({ id: name, outs: inputs });
  },

  read: (id, props) => Promise.resolve({ id: isDirectory(asCache(props).name) ? id : "", props }),

  update: (olds, news) => Promise.resolve(keepOutputs(olds, news, [])),

  delete(_id, props) {
    rmSync(asCache(props).name, { recursive: true, force: true });
    return Promise.resolve();
  },
};
