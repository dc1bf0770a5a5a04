/**
 * Where a page of a cross-user listing ends: the last row shown, by its
 * activity time and id. The next (older) page starts strictly after it in the
 * order `at DESC, id DESC` (ids compared byte by byte), so a keyset cursor
 * never skips or repeats a row that did not change in between
 * (docs/decisions/0045-admin-sessions-and-grants.md).
 */
export interface ActivityCursor {
  /** `lastSeenAt` of a session, `lastUsedAt` of a grant (ms). */
  readonly at: number;
  readonly id: string;
}

/** A page of live rows across users, newest activity first. */
export interface LiveListQuery {
  /** Rows live at this time (unrevoked, before idle and absolute expiry). */
  readonly now: number;
  /** At most this many rows. */
  readonly limit: number;
  /** Only rows after this one in the order (the next, older page). */
  readonly before?: ActivityCursor;
  /** Only rows of these users (at most a few dozen; an empty list matches nothing). */
  readonly userIds?: readonly string[];
}

/** Whether `(at, id)` comes after the cursor in the order `at DESC, id DESC`. */
export function isAfterCursor(at: number, id: string, cursor: ActivityCursor | undefined): boolean {
  if (!cursor) return true;
  return at < cursor.at || (at === cursor.at && id < cursor.id);
}
