export * from "./layout";
export * from "./defconfig";
export * from "./render";
export * from "./summary";
