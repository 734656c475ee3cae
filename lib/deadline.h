/* deadline.h - deadlines that wait one span each, in FIFO lists: every
 * member of a list waits the list's span from when it joined, so its
 * deadlines come in the order members joined and only its head can be due.
 * A few spans at once (a session's default timeout and the few that
 * requests set), each O(1) to join, to leave and to find the earliest:
 * no tree, no scan, and a member touches only its neighbours' links.
 * Knows nothing of requests: the owner embeds a node and finds its
 * member from it. */
#ifndef AH_DEADLINE_H
#define AH_DEADLINE_H
#include <stddef.h>
#include <stdint.h>

#define AH__DL_SPANS 4 /* spans followed at once: more go without */
/* The longest span in ms the owner keeps here (~73 years): the
 * deadline, now + span in ns, must fit an int64_t. Longer ones (LONG_MAX
 * for "never") go without, as a span with no list does. */
#define AH__DL_MAX_MS (INT64_MAX / 4000000)

struct ah__dl_list;
struct ah__dl_node {
  struct ah__dl_node *prev, *next;
  struct ah__dl_list *in; /* NULL: in no list */
  int64_t at;             /* the deadline (monotonic ns) while in a list */
};
struct ah__dl_list {
  struct ah__dl_node *head, *tail;
  int64_t span; /* ns; a list without members takes any span */
};
struct ah__deadlines {
  struct ah__dl_list l[AH__DL_SPANS];
};

/* n joins the list of span (> 0) at now: its deadline is now + span,
 * after every deadline of that list. 1, or 0 when every list has members
 * and none has this span (n then stays out: the caller keeps the
 * deadline some other way). */
int ah__dl_add(struct ah__deadlines *d, struct ah__dl_node *n, int64_t span,
               int64_t now);
/* n leaves its list; nothing when it is in none. */
void ah__dl_remove(struct ah__dl_node *n);
/* The earliest deadline, or INT64_MAX when there is none. */
int64_t ah__dl_earliest(const struct ah__deadlines *d);
/* A member whose deadline is at or before now (it stays in its list), or
 * NULL. */
struct ah__dl_node *ah__dl_due(const struct ah__deadlines *d, int64_t now);
#endif
