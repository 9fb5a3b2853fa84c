/**
 * Progress messages from the provider to the engine. The provider server of
 * @pulumi/pulumi connects to the engine only for construct and call, so a
 * custom resource's create would log nowhere: br-criu's provider opens its
 * own connection to the engine address the plugin is started with.
 */
import * as grpc from "@grpc/grpc-js";
// The SDK's generated gRPC modules have no type declarations of their own for require.
/* eslint-disable @typescript-eslint/no-require-imports */
const engineRpc = require("@pulumi/pulumi/proto/engine_grpc_pb") as {
  EngineClient: new (address: string, credentials: grpc.ChannelCredentials) => EngineClient;
};
const enginePb = require("@pulumi/pulumi/proto/engine_pb") as {
  LogRequest: new () => LogRequest;
  LogSeverity: { INFO: number; WARNING: number; ERROR: number };
};
/* eslint-enable @typescript-eslint/no-require-imports */

interface LogRequest {
  setSeverity(value: number): void;
  setMessage(value: string): void;
  setUrn(value: string): void;
  setEphemeral(value: boolean): void;
}

interface EngineClient {
  log(request: LogRequest, callback: (error: Error | null) => void): void;
  close(): void;
}

export interface EngineLog {
  /** A status line shown while the resource's step runs (like the command provider's output). */
  progress(urn: string, message: string): void;
  /** A message kept in the update's diagnostics. */
  info(urn: string, message: string): void;
  warn(urn: string, message: string): void;
}

/** Logs to the engine at `address`; without one (unit tests), to nowhere. */
export function engineLog(address: string | undefined): EngineLog {
  if (address === undefined) return { progress: () => {}, info: () => {}, warn: () => {} };
  const client = new engineRpc.EngineClient(address, grpc.credentials.createInsecure());
  const send = (urn: string, message: string, severity: number, ephemeral: boolean) => {
    const request = new enginePb.LogRequest();
    request.setSeverity(severity);
    request.setMessage(message);
    request.setUrn(urn);
    request.setEphemeral(ephemeral);
    // A lost progress line is not worth failing a build for.
    client.log(request, () => {});
  };
  return {
    progress: (urn, message) => send(urn, message, enginePb.LogSeverity.INFO, true),
    info: (urn, message) => send(urn, message, enginePb.LogSeverity.INFO, false),
    warn: (urn, message) => send(urn, message, enginePb.LogSeverity.WARNING, false),
  };
}
