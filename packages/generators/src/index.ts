export * from "./layout";
export * from "./defconfig";
export * from "./render";
export * from "./summary";
export * from "./br2-package";
export * from "./qemu";
export * from "./kernel-hashes";
export * from "./writers";
