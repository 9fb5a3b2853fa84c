/**
 * How CRIU is built: the make variables, install targets and pre-build step
 * of the checkpoint-restore package, as data. The .mk is rendered from it,
 * and the package tier (`npm run test:package`) builds CRIU from the same
 * data, giving Buildroot's variables ($(HOST_DIR), $(TARGET_CROSS), $(@D))
 * the values a Debian build machine has. A wrong value here fails that tier.
 */

import { CRIU_SUB_OPTIONS, type CriuSubOption, type CriuSubOptionSuffix } from "@br-criu/model";

/** NAME=value, where value may refer to Buildroot's variables. */
export type MakeVariable = readonly [name: string, value: string];

/** A sub-option's share of the make command. */
export interface SubOptionMake {
  /** Install targets added when the sub-option is on. */
  readonly installWhenOn: readonly string[];
  /** Make variables added when it is off, because CRIU would otherwise pick the feature up by itself. */
  readonly variablesWhenOff: readonly MakeVariable[];
  /** Comment lines above its block in the .mk. */
  readonly comment: readonly string[];
}

export interface CriuMakeRecipe {
  /** Make's environment, after Buildroot's $(TARGET_MAKE_ENV) $(TARGET_CONFIGURE_OPTS). */
  readonly environment: readonly MakeVariable[];
  /** Make's command line: these override the defaults CRIU's makefiles pick. */
  readonly options: readonly MakeVariable[];
  readonly installTargets: readonly string[];
  /** What each of the package's sub-options (CRIU_SUB_OPTIONS) changes in the make command. */
  readonly subOptions: Readonly<Record<CriuSubOptionSuffix, SubOptionMake>>;
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
  installTargets: ["install-criu", "install-lib", "install-compel"],
  subOptions: {
    // Without crit, CRIU's install would pip-install crit and pycriu.
    CRIT: { installWhenOn: ["install-crit"], variablesWhenOff: [["SKIP_PIP_INSTALL", "1"]], comment: [] },
    // Without the option, CRIU would link gnutls whenever it finds it.
    GNUTLS: { installWhenOn: [], variablesWhenOff: [["NO_GNUTLS", "1"]], comment: [] },
    LIBBSD: {
      installWhenOn: [],
      variablesWhenOff: [],
      comment: ["CRIU detects libbsd and libnftables by itself; these make them explicit."],
    },
    NFTABLES: { installWhenOn: [], variablesWhenOff: [], comment: [] },
  },
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

/** The make variables and install targets that a board's sub-option choices add to the recipe's own. */
export function subOptionMakeAdditions(isOn: (option: CriuSubOption) => boolean): {
  variables: MakeVariable[];
  installTargets: string[];
} {
  const variables: MakeVariable[] = [];
  const installTargets: string[] = [];
  for (const option of CRIU_SUB_OPTIONS) {
    const make = CRIU_MAKE_RECIPE.subOptions[option.suffix];
    if (isOn(option)) installTargets.push(...make.installWhenOn);
    else variables.push(...make.variablesWhenOff);
  }
  return { variables, installTargets };
}
