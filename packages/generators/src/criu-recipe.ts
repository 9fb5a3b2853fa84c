/**
 * How CRIU is built: the make variables, install targets and pre-build step
 * of the checkpoint-restore package, as data. The .mk is rendered from it,
 * and the package tier (`npm run test:package`) builds CRIU from the same
 * data, giving Buildroot's variables ($(HOST_DIR), $(TARGET_CROSS), $(@D))
 * the values a Debian build machine has. A wrong value here fails that tier.
 */

/** NAME=value, where value may refer to Buildroot's variables. */
export type MakeVariable = readonly [name: string, value: string];

export interface CriuMakeRecipe {
  /** Make's environment, after Buildroot's $(TARGET_MAKE_ENV) $(TARGET_CONFIGURE_OPTS). */
  readonly environment: readonly MakeVariable[];
  /** Make's command line: these override the defaults CRIU's makefiles pick. */
  readonly options: readonly MakeVariable[];
  /** Added without crit/pycriu: CRIU would otherwise pip-install them. */
  readonly withoutCrit: MakeVariable;
  /** Added without gnutls: CRIU would otherwise link it when it finds it. */
  readonly withoutGnutls: MakeVariable;
  readonly installTargets: readonly string[];
  readonly critInstallTarget: string;
  /** Commands run before the build, as words; $(@D) is the source directory. */
  readonly preBuild: readonly (readonly string[])[];
}

export const CRIU_MAKE_RECIPE: CriuMakeRecipe = {
  // CRIU's makefiles set CC := $(CROSS_COMPILE)gcc, so the cross prefix, not
  // Buildroot's CC, selects the compiler. WERROR=0: a newer gcc's warnings
  // must not stop a release build.
  environment: [
    ["CROSS_COMPILE", "$(TARGET_CROSS)"],
    ["WERROR", "0"],
  ],
  options: [
    ["PREFIX", "/usr"],
    // CRIU would take the build machine's multiarch directory (dpkg-architecture) or lib64.
    ["LIBDIR", "/usr/lib"],
    ["PYTHON", "$(HOST_DIR)/bin/python3"],
    // Where the descriptor.proto that descriptor.pb-c.c depends on lives (see preBuild).
    ["GOOGLE_INCLUDE", "$(HOST_DIR)/include/google/protobuf"],
  ],
  withoutCrit: ["SKIP_PIP_INSTALL", "1"],
  withoutGnutls: ["NO_GNUTLS", "1"],
  installTargets: ["install-criu", "install-lib", "install-compel"],
  critInstallTarget: "install-crit",
  // CRIU's rule for images/google/protobuf/descriptor.pb-c.c runs protoc with
  // --proto_path=/usr/include, the build machine's: that fails when the host
  // has no protobuf headers, and fails as "shadowed" when a copy is placed
  // under images/. Generating the file first from host-protobuf's copy makes
  // the rule's target up to date, so it never runs.
  preBuild: [
    ["mkdir", "-p", "$(@D)/images/google/protobuf"],
    [
      "$(HOST_DIR)/bin/protoc",
      "--plugin=protoc-gen-c=$(HOST_DIR)/bin/protoc-gen-c",
      "--proto_path=$(HOST_DIR)/include",
      "--c_out=$(@D)/images",
      "$(HOST_DIR)/include/google/protobuf/descriptor.proto",
    ],
  ],
};

/** The recipe's value with Buildroot's variables replaced (for builds outside Buildroot). */
export function substituteBuildrootVariables(value: string, variables: Readonly<Record<string, string>>): string {
  return value.replace(/\$\((@D|[A-Z_][A-Z0-9_]*)\)/g, (_reference, name: string) => {
    const replacement = variables[name];
    if (replacement === undefined)
      throw new Error(`the CRIU recipe refers to $(${name}), which has no value outside Buildroot`);
    return replacement;
  });
}
