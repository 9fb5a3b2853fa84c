/**
 * The build on br-criu's own provider (packages/provider, started by the
 * engine from Pulumi.yaml's plugins entry): one resource per build unit, with
 * type tokens a preview names (br-criu-build:stage:Kernel, ...).
 */
import * as pulumi from "./pulumi-sdk";
import { BootTest, BuildImage, Cache, Checkout, DoubleBuild, HostTools, Stage } from "@br-criu/provider";
import type { BuildBackend, Placement } from "./backend";

const options = (at: Placement, extra: pulumi.CustomResourceOptions = {}): pulumi.CustomResourceOptions => ({
  parent: at.parent,
  dependsOn: [...at.dependsOn],
  ...extra,
});

export const brCriuBackend: BuildBackend = {
  buildImage: (name, spec, at) => new BuildImage(name, { ...spec }, options(at)),

  cache: (name, spec, kind, retain, at) =>
    new Cache(
      name,
      kind,
      { name: spec.name, stackKey: spec.stackKey, ...(spec.endpoint ? { endpoint: spec.endpoint } : {}) },
      options(at, { retainOnDelete: retain }),
    ),

  hostTools: (name, script, dir, at) => new HostTools(name, { script, dir }, options(at)),

  checkout(name, spec, dir, at) {
    const { create, ...source } = spec;
    const resource = new Checkout(
      name,
      { ...source, run: { dir, commands: { create, cleanup: [], delete: [] } } },
      options(at),
    );
    return { resource, stdout: resource.verified };
  },

  stage(name, spec, upstream, context, at) {
    const resource = new Stage(
      name,
      spec.type,
      {
        stack: context.stack,
        stage: spec.stage,
        options: spec.options,
        upstream,
        run: { dir: context.dir, commands: spec.commands, ...(spec.buildHost ? { buildHost: spec.buildHost } : {}) },
        outputDir: spec.outputDir,
        products: spec.products,
        log: spec.log,
      },
      options(at),
    );
    return { resource, stdout: resource.stdout };
  },

  bootTest(name, test, image, at) {
    const resource = new BootTest(
      name,
      {
        stack: test.stack,
        image: image.id,
        imagesDir: test.imagesDir,
        run: { dir: test.dir, commands: { create: [test.command], cleanup: [], delete: [] } },
      },
      options(at),
    );
    return { resource, stdout: resource.stdout };
  },

  doubleBuild(name, build, image, at) {
    const resource = new DoubleBuild(
      name,
      {
        stack: build.stack,
        image: image.id,
        run: { dir: build.dir, commands: build.commands, ...(build.buildHost ? { buildHost: build.buildHost } : {}) },
      },
      options(at),
    );
    return { resource, stdout: resource.stdout };
  },
};
