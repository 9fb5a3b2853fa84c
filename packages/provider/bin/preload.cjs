// The provider's CommonJS dependencies, loaded before tsx's require hook is
// registered: the hook reads every CommonJS file loaded after it (node_modules
// included) and scans it for ESM syntax, which about doubles the load time of
// zod 4 and @grpc/grpc-js, and the plugin starts twice per `pulumi up`
// (preview, then update). Later requires of these modules hit Node's cache.
for (const name of [
	"@grpc/grpc-js",
	"google-protobuf",
	"@pulumi/pulumi/proto/provider_grpc_pb",
	"@pulumi/pulumi/proto/plugin_pb",
	"@pulumi/pulumi/proto/status_pb",
	"zod",
]) {
	require(name);
}
