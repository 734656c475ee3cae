/* list.h - intrusive doubly linked lists of requests: the session's FIFO
 * of requests waiting for room in libcurl, its list of those in libcurl,
 * and its list of those waiting to be retried, by due time. O(1) append and removal, so canceling a queued request is O(1). */
#ifndef AH_LIST_H
#define AH_LIST_H

#include <stddef.h>

struct ah__request;

struct ah__list {
  struct ah__request *head, *tail;
  size_t n;
};

/* Append q at the tail; q's prev/next links belong to one list at a time. */
void ah__list_append(struct ah__list *l, struct ah__request *q);
/* Insert q before before (NULL: at the tail). */
void ah__list_insert(struct ah__list *l, struct ah__request *before,
                     struct ah__request *q);
/* Remove q, which is in l. */
void ah__list_remove(struct ah__list *l, struct ah__request *q);
/* The first request of l with an end pending (doom_err), or NULL. */
struct ah__request *ah__list_doomed(const struct ah__list *l);

#endif
