/** Where things are in a test system's root file system (paths without the leading /). */
export const TEST_SYSTEM_LAYOUT = {
  /** The `criu check --feature` names the acceptance script reports on, one a line. */
  criuCheckFeatures: "etc/br-criu/criu-check-features",
  zdtmRunner: "usr/libexec/br-criu/zdtm-run",
  /** The runner's list of tests (renderZdtmList). */
  zdtmList: "etc/br-criu/zdtm.list",
  /** zdtm.py's tests root: zdtm/static/<program>, and the skeleton ns-flavor programs pivot into. */
  zdtmTests: "usr/lib/br-criu/zdtm",
} as const;
