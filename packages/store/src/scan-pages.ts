import type { Client, types } from 'cassandra-driver';

/**
 * A query's rows page by page, with the next page always already requested: as soon as a page
 * arrives the request for the one after it goes out, so Cassandra reads page n + 1 while the
 * caller works on page n. (The driver's own async iterator asks for the next page only once the
 * current one is used up, so reader and database take turns.) At most two pages are in memory.
 */
export async function* scanPages(client: Client, query: string, params: readonly unknown[], fetchSize: number): AsyncGenerator<types.Row[]> {
  const fetch = (pageState?: string) => {
    const page = client.execute(query, [...params], { prepare: true, fetchSize, pageState });
    // A caller that stops early leaves the prefetched page unread: its failure is nobody's error.
    page.catch(() => undefined);
    return page;
  };
  let next: Promise<types.ResultSet> | undefined = fetch();
  while (next !== undefined) {
    const rs: types.ResultSet = await next;
    next = rs.pageState ? fetch(rs.pageState) : undefined;
    if (rs.rows.length > 0) yield rs.rows;
  }
}
