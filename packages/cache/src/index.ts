export { cachePath, cachePathIn, cacheRoot } from "./cache-root";
export {
  COMPLETE_MARKER,
  adoptUnmarked,
  cacheDirectory,
  cacheDirectoryAsync,
  completedCacheDirectory,
  type CacheDirectory,
} from "./cache-directory";
export { outputTail } from "./command-output";
export { writeFileWithMode } from "./write-file";
export { withLock, withLockSync, type LockOptions } from "./lock";
