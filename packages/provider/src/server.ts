/**
 * The provider's gRPC server: the engine's ResourceProvider protocol, using
 * the message types @pulumi/pulumi generates, handed to br-criu's provider.
 * It is br-criu's own (rather than @pulumi/pulumi/provider's main) because
 * that server drops a diff's per-property detail, which is what makes
 * `pulumi preview --diff` show just the changed options, and has no hook for
 * the engine address a resource's progress must go to.
 */
import * as grpc from "@grpc/grpc-js";
import type { BrCriuProvider, DetailedDiff } from "./provider";

/* eslint-disable @typescript-eslint/no-require-imports, @typescript-eslint/no-explicit-any, @typescript-eslint/no-unsafe-assignment, @typescript-eslint/no-unsafe-member-access, @typescript-eslint/no-unsafe-call, @typescript-eslint/no-unsafe-argument, @typescript-eslint/no-unsafe-return */
// The SDK's generated protobuf modules come without declarations for require; their messages are used as any.
const provrpc = require("@pulumi/pulumi/proto/provider_grpc_pb");
const provproto = require("@pulumi/pulumi/proto/provider_pb");
const plugproto = require("@pulumi/pulumi/proto/plugin_pb");
const statusproto = require("@pulumi/pulumi/proto/status_pb");
const anyproto = require("google-protobuf/google/protobuf/any_pb");
const emptyproto = require("google-protobuf/google/protobuf/empty_pb");
const structproto = require("google-protobuf/google/protobuf/struct_pb");

type Properties = Record<string, unknown>;
type Callback = (error: grpc.ServiceError | null | Partial<grpc.StatusObject>, value?: unknown) => void;
type Call = { request: any };

const toStruct = (value: Properties) => structproto.Struct.fromJavaScript(value);
const fromStruct = (struct: any): Properties => (struct ? (struct.toJavaScript() as Properties) : {});

const KIND: Readonly<Record<DetailedDiff["kind"], number>> = {
  add: provproto.PropertyDiff.Kind.ADD,
  delete: provproto.PropertyDiff.Kind.DELETE,
  update: provproto.PropertyDiff.Kind.UPDATE,
};
const REPLACE_KIND: Readonly<Record<DetailedDiff["kind"], number>> = {
  add: provproto.PropertyDiff.Kind.ADD_REPLACE,
  delete: provproto.PropertyDiff.Kind.DELETE_REPLACE,
  update: provproto.PropertyDiff.Kind.UPDATE_REPLACE,
};

/**
 * An error as the engine reads it; one carrying an id and properties is an
 * initialization failure: the resource exists, with those outputs, and the
 * update fails.
 */
function statusOf(error: unknown): Partial<grpc.StatusObject> {
  const { message, id, properties } = error as { message?: string; id?: string; properties?: Properties };
  const metadata = new grpc.Metadata();
  if (id) {
    const detail = new provproto.ErrorResourceInitFailed();
    detail.setId(id);
    detail.setProperties(toStruct(properties ?? {}));
    detail.setReasonsList([message ?? ""]);
    const packed = new anyproto.Any();
    packed.pack(detail.serializeBinary(), "pulumirpc.ErrorResourceInitFailed");
    const status = new statusproto.Status();
    status.setCode(grpc.status.UNKNOWN);
    status.setMessage(message ?? "");
    status.addDetails(packed);
    metadata.add("grpc-status-details-bin", Buffer.from(status.serializeBinary()));
  }
  return { code: grpc.status.UNKNOWN, details: message ?? String(error), metadata };
}

/** Runs a handler and answers the call with its result or its error. */
function answer(callback: Callback, work: () => unknown): void {
  Promise.resolve()
    .then(work)
    .then(
      (value) => callback(null, value),
      (error: unknown) => callback(statusOf(error)),
    );
}

function diffResponse(result: ReturnType<BrCriuProvider["diff"]>): any {
  const response = new provproto.DiffResponse();
  response.setChanges(
    result.changes ? provproto.DiffResponse.DiffChanges.DIFF_SOME : provproto.DiffResponse.DiffChanges.DIFF_NONE,
  );
  response.setReplacesList(result.replaces);
  response.setDeletebeforereplace(result.deleteBeforeReplace);
  response.setHasdetaileddiff(true);
  const detailed = response.getDetaileddiffMap();
  for (const [path, diff] of Object.entries(result.detailed)) {
    const property = new provproto.PropertyDiff();
    property.setKind((diff.replace ? REPLACE_KIND : KIND)[diff.kind]);
    property.setInputdiff(true);
    detailed.set(path, property);
  }
  return response;
}

/** The service's metadata handlers: version, an empty schema, and a configuration that takes no secrets or resources. */
function metadataHandlers(provider: BrCriuProvider): grpc.UntypedServiceImplementation {
  return {
    getPluginInfo: (_call: Call, callback: Callback) => {
      const info = new plugproto.PluginInfo();
      info.setVersion(provider.version);
      callback(null, info);
    },
    getSchema: (_call: Call, callback: Callback) => {
      const response = new provproto.GetSchemaResponse();
      response.setSchema("{}");
      callback(null, response);
    },
    configure: (_call: Call, callback: Callback) => {
      const response = new provproto.ConfigureResponse();
      response.setAcceptsecrets(false);
      response.setAcceptresources(false);
      response.setAcceptoutputs(false);
      callback(null, response);
    },
    attach: (_call: Call, callback: Callback) => callback(null, new emptyproto.Empty()),
    cancel: (_call: Call, callback: Callback) =>
      answer(callback, () => provider.cancel().then(() => new emptyproto.Empty())),
  };
}

/** A handler that answers with what `respond` makes of the request. */
const handle =
  (respond: (request: any) => unknown) =>
  ({ request }: Call, callback: Callback) =>
    answer(callback, () => respond(request));

function checkResponse(provider: BrCriuProvider, request: any): any {
  const news = fromStruct(request.getNews());
  const response = new provproto.CheckResponse();
  response.setInputs(toStruct(news));
  response.setFailuresList(
    provider.check(request.getType(), news).map(({ property, reason }) => {
      const failure = new provproto.CheckFailure();
      failure.setProperty(property);
      failure.setReason(reason);
      return failure;
    }),
  );
  return response;
}

/** The resource handlers: check, diff, create, read, update, delete; resources are told apart by type. */
function resourceHandlers(provider: BrCriuProvider): grpc.UntypedServiceImplementation {
  const properties = (request: any) => fromStruct(request.getProperties());
  return {
    check: handle((request) => checkResponse(provider, request)),
    diff: handle((request) =>
      diffResponse(
        provider.diff(
          request.getType(),
          fromStruct(request.getOlds()),
          fromStruct(request.getOldInputs()),
          fromStruct(request.getNews()),
        ),
      ),
    ),
    create: handle(async (request) => {
      const created = await provider.create(request.getType(), request.getUrn(), properties(request));
      const response = new provproto.CreateResponse();
      response.setId(created.id);
      response.setProperties(toStruct(created.outs));
      return response;
    }),
    read: handle(async (request) => {
      const read = await provider.read(request.getType(), request.getUrn(), request.getId(), properties(request));
      const response = new provproto.ReadResponse();
      response.setId(read.id);
      response.setProperties(toStruct(read.props));
      response.setInputs(request.getInputs());
      return response;
    }),
    update: handle(async (request) => {
      const response = new provproto.UpdateResponse();
      response.setProperties(
        toStruct(
          await provider.update(request.getType(), fromStruct(request.getOlds()), fromStruct(request.getNews())),
        ),
      );
      return response;
    }),
    delete: handle(async (request) => {
      await provider.delete(request.getType(), request.getUrn(), request.getId(), properties(request));
      return new emptyproto.Empty();
    }),
  };
}

/** Serves the provider on a free port of 127.0.0.1 and returns the port (the engine reads it from stdout). */
export function serve(provider: BrCriuProvider): Promise<number> {
  const server = new grpc.Server({ "grpc.max_receive_message_length": 400 * 1024 * 1024 });
  // The methods left out (invoke, construct, call, parameterize, ...) answer UNIMPLEMENTED, as the engine expects of them.
  server.addService(provrpc.ResourceProviderService, { ...metadataHandlers(provider), ...resourceHandlers(provider) });
  return new Promise((resolve, reject) =>
    server.bindAsync("127.0.0.1:0", grpc.ServerCredentials.createInsecure(), (error, port) =>
      error ? reject(error) : resolve(port),
    ),
  );
}
