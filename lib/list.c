/* list.c - the request lists behind the session's queue. */
#include "list.h"

#include "request.h"

void ah__list_append(struct ah__list *l, struct ah__request *q)
{
  q->next = NULL;
  q->prev = l->tail;
  if (l->tail)
    l->tail->next = q;
  else
    l->head = q;
  l->tail = q;
  l->n++;
}

void ah__list_insert(struct ah__list *l, struct ah__request *before,
                     struct ah__request *q)
{
  if (before == NULL) {
    ah__list_append(l, q);
    return;
  }
  q->next = before;
  q->prev = before->prev;
  if (before->prev)
    before->prev->next = q;
  else
    l->head = q;
  before->prev = q;
  l->n++;
}

void ah__list_remove(struct ah__list *l, struct ah__request *q)
{
  if (q->prev)
    q->prev->next = q->next;
  else
    l->head = q->next;
  if (q->next)
    q->next->prev = q->prev;
  else
    l->tail = q->prev;
  q->prev = q->next = NULL;
  l->n--;
}

struct ah__request *ah__list_doomed(const struct ah__list *l)
{
  struct ah__request *q = l->head;

  while (q != NULL && q->doom_err == 0)
    q = q->next;
  return q;
}
