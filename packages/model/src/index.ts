export * from "./arch";
export * from "./kernel-options";
export * from "./schema";
export * from "./resolve";
export * from "./versions";
export * from "./buildroot-package";
export * from "./grammar";
export * from "./releases";
