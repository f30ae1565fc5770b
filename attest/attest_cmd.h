/* SPDX-License-Identifier: MIT */
/*
 * The attestation commands, for softtdx's main(): `softtdx qgs` and
 * `softtdx quote` (attest/cmd_attest.c; link attest_lib).  Nothing else of
 * attest/'s upper half is for the launcher.
 */
#ifndef SOFTTDX_ATTEST_CMD_H
#define SOFTTDX_ATTEST_CMD_H

int cmd_qgs(int argc, char **argv);
int cmd_quote(int argc, char **argv);

#endif /* SOFTTDX_ATTEST_CMD_H */
