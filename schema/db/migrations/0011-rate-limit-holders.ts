import { sql, type Kysely } from 'kysely';

/**
 * Rate-limit counters learn who holds what. A process takes points out of a key's window in
 * leases and spends them in memory; `holders` maps each process that took from the window to the
 * points it took beyond what its waiting calls spent at once (its surplus, which may still be
 * unspent), until it answers a reclaim by giving back what it has left. `refused` says a take was
 * refused in this window: from then on, takes carry only what waiting calls spend at once, so no
 * new surplus is stranded at the boundary. The window is the store's own: `expire` is read from
 * Postgres's clock, never from a caller's.
 *
 * One take is one call of `rate_limit_take` (the row locked for it, one round trip): `need`
 * points or nothing; `demand` points for calls that spend them at once; up to `want` in all,
 * never more than a share of what is left (`available / (2 · holders)`), so leases shrink as the
 * window runs down. When refused, it names the other holders that may hold unspent points.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`
    alter table rate_limit_counters
      add column holders jsonb not null default '{}',
      add column refused boolean not null default false
  `.execute(db);
  await sql`
    create function rate_limit_take(p_key text, p_limit integer, p_need integer, p_demand integer, p_want integer, p_holder text, p_window_ms bigint)
    returns table (granted integer, surplus integer, consumed integer, window_end bigint, ms_left bigint, holding text[])
    language plpgsql as $$
    declare
      now_ms bigint := floor(extract(epoch from clock_timestamp()) * 1000);
      counter rate_limit_counters%rowtype;
      available integer;
      spent integer;
      holder_count integer;
    begin
      insert into rate_limit_counters as c (key, points, expire) values (p_key, 0, now_ms + p_window_ms)
        on conflict (key) do update set points = c.points
        returning c.* into counter;
      if counter.expire is null or counter.expire <= now_ms then
        counter.points := 0;
        counter.expire := now_ms + p_window_ms;
        counter.holders := '{}';
        counter.refused := false;
      end if;
      if not counter.holders ? p_holder then
        counter.holders := counter.holders || jsonb_build_object(p_holder, 0);
      end if;
      available := greatest(0, p_limit - counter.points);
      holding := '{}';
      if available < p_need then
        granted := 0;
        surplus := 0;
        counter.refused := true;
        select coalesce(array_agg(h.key), '{}') into holding
          from jsonb_each_text(counter.holders) h where h.key <> p_holder and h.value::integer > 0;
      else
        spent := least(p_demand, available);
        granted := spent;
        if not counter.refused then
          select count(*) into holder_count from jsonb_object_keys(counter.holders);
          granted := least(available, greatest(spent, least(p_want, available / (2 * holder_count))));
        end if;
        surplus := granted - spent;
        counter.points := counter.points + granted;
        if surplus > 0 then
          counter.holders := jsonb_set(counter.holders, array[p_holder], to_jsonb((counter.holders ->> p_holder)::integer + surplus));
        end if;
      end if;
      update rate_limit_counters
        set points = counter.points, expire = counter.expire, holders = counter.holders, refused = counter.refused
        where key = p_key;
      consumed := counter.points;
      window_end := counter.expire;
      ms_left := counter.expire - now_ms;
      return next;
    end
    $$
  `.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`drop function rate_limit_take`.execute(db);
  await sql`alter table rate_limit_counters drop column holders, drop column refused`.execute(db);
}
