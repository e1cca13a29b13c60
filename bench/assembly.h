/* assembly.h -- the poll of atelier-load --mode assembly (bench/README.md).
 *
 * An assembly is load.c's typing workshop (many watchers, a few writers)
 * plus a facilitator who, after the warm-up, creates and opens one `single`
 * poll with live results; every client then votes once, at a random moment
 * of the vote window (and never before it has seen the poll itself). This
 * file keeps what each voter sent and heard back, and checks it: every vote
 * answered (`my_ballot` with the ballot sent, or an error by code), the last
 * `results` each client saw equal to the counts of the ballots acknowledged,
 * and the same counts in GET /state from every server.
 *
 * Voters are load.c's clients by index (0..n-1). load.c owns the connections:
 * it hands each poll message here and sends the votes this file asks for. */
#ifndef BENCH_ASSEMBLY_H
#define BENCH_ASSEMBLY_H

#include "load.h"

#include <stddef.h>
#include <stdint.h>

/* Sends text on voter v's connection; -1 if it is closed. */
typedef int (*asm_send_fn)(int v, const char *msg, size_t len);

/* Allocates the voters' state; window: seconds the votes are spread over. */
void asm_init(int nvoters, double window, asm_send_fn send);
void asm_free(void);
/* The facilitator's poll_create (opened at once, results live) into buf. */
int asm_create_msg(char *buf, size_t bufsz);
/* Voter v (or -1: the facilitator) got a `poll` message. The facilitator's
 * reply starts the vote window. */
void asm_on_poll(int v, const char *data, size_t len, uint64_t now);
void asm_on_my_ballot(int v, const msgf *m, const char *data, size_t len, uint64_t now);
void asm_on_results(int v, const char *data, size_t len);
/* An `error` whose re is "vote". */
void asm_on_vote_error(int v, const msgf *m, uint64_t now);
/* Voter v's connection is gone: its vote, if unanswered, never will be. */
void asm_on_lost(int v);
/* Send the votes due by now. */
void asm_tick(uint64_t now);
/* 1 when t (monotonic ns) falls in the vote window (from the poll's opening). */
int asm_voting_at(uint64_t t);
/* When the next vote is due (UINT64_MAX: none waiting on time). */
uint64_t asm_next_due(void);
/* The poll is open and every voter's vote has been answered (or lost). */
int asm_votes_done(void);
/* Voters still connected whose last `results` differs from the counts of
 * the acknowledged ballots (so 0 once everyone converged). */
int asm_results_behind(void);
/* Compare the poll's counts in one server's GET /state (a cJSON object)
 * with the acknowledged ballots; returns 1 if they agree. */
int asm_check_state(const void *state_json);
/* The poll's id ("" before it was created). */
const char *asm_poll_id(void);
/* Print the poll's figures and checks; *failed set when a check failed. */
void asm_report(int state_servers, int state_agree, int *failed);

#endif
