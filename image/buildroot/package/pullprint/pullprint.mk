################################################################################
#
# pullprint
#
################################################################################

# Built from this very repository (the BR2_EXTERNAL tree lives in it). The
# crates the lock file names are vendored into the build folder once, right
# after the sources are copied (this is the one step that needs the
# network); cargo then builds --offline --locked from them, as Buildroot's
# cargo-package always does. A repository that already holds a vendor/
# folder (`cargo vendor --locked`) builds with no network at all.
PULLPRINT_VERSION = 0.1.0
PULLPRINT_SITE = $(BR2_EXTERNAL_PULLPRINT_PATH)/../..
PULLPRINT_SITE_METHOD = local
PULLPRINT_SUBDIR = appliance
PULLPRINT_LICENSE = Apache-2.0
PULLPRINT_OVERRIDE_SRCDIR_RSYNC_EXCLUSIONS = --exclude target --exclude .git

define PULLPRINT_VENDOR_CRATES
	if [ ! -d $(@D)/vendor ]; then \
		cd $(@D) && $(HOST_MAKE_ENV) CARGO_HOME=$(BR_CARGO_HOME) \
			cargo vendor --locked --versioned-dirs vendor >/dev/null; \
	fi
	mkdir -p $(@D)/.cargo
	printf '[source.crates-io]\nreplace-with = "vendored-sources"\n\n[source.vendored-sources]\ndirectory = "vendor"\n' \
		> $(@D)/.cargo/config.toml
endef
PULLPRINT_POST_RSYNC_HOOKS += PULLPRINT_VENDOR_CRATES

PULLPRINT_CARGO_BUILD_OPTS = --bin pullprint

# The daemon's units, configuration, account and hardening are in the
# board's root filesystem overlay, shared with the Debian test build; the
# package installs only the program.

$(eval $(cargo-package))
