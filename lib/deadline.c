/* deadline.c - FIFO deadline lists, one per span (deadline.h). */
#include "deadline.h"

int ah__dl_add(struct ah__deadlines *d, struct ah__dl_node *n, int64_t span,
               int64_t now)
{
  struct ah__dl_list *l = NULL;
  int i;

  /* The list of this span, else the first without members. */
  for (i = 0; i < AH__DL_SPANS; i++) {
    if (d->l[i].head != NULL && d->l[i].span == span) {
      l = &d->l[i];
      break;
    }
    if (d->l[i].head == NULL && l == NULL)
      l = &d->l[i];
  }
  if (l == NULL)
    return 0;
  l->span = span;
  n->at = now + span;
  n->in = l;
  n->next = NULL;
  n->prev = l->tail;
  if (l->tail != NULL)
    l->tail->next = n;
  else
    l->head = n;
  l->tail = n;
  return 1;
}

void ah__dl_remove(struct ah__dl_node *n)
{
  struct ah__dl_list *l = n->in;

  if (l == NULL)
    return;
  if (n->prev != NULL)
    n->prev->next = n->next;
  else
    l->head = n->next;
  if (n->next != NULL)
    n->next->prev = n->prev;
  else
    l->tail = n->prev;
  n->prev = n->next = NULL;
  n->in = NULL;
}

int64_t ah__dl_earliest(const struct ah__deadlines *d)
{
  int64_t at = INT64_MAX;
  int i;

  for (i = 0; i < AH__DL_SPANS; i++)
    if (d->l[i].head != NULL && d->l[i].head->at < at)
      at = d->l[i].head->at;
  return at;
}

struct ah__dl_node *ah__dl_due(const struct ah__deadlines *d, int64_t now)
{
  int i;

  for (i = 0; i < AH__DL_SPANS; i++)
    if (d->l[i].head != NULL && d->l[i].head->at <= now)
      return d->l[i].head;
  return NULL;
}
