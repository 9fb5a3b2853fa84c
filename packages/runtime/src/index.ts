export * from "./boot-test";
export * from "./initramfs";
export * from "./qemu";
export * from "./results";
export * from "./sysroot";
export * from "./criu-package";
