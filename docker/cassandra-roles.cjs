'use strict';
/**
 * One-shot (compose service `cassandra-auth`): gives a fresh Cassandra with PasswordAuthenticator
 * SimpleCM's own login role, then retires the default superuser cassandra/cassandra (its
 * password replaced by a random one, login disabled). Idempotent: when SimpleCM's role can
 * already log in, nothing is done. Reads SIMPLECM_CASSANDRA_CONTACT_POINTS, SIMPLECM_CASSANDRA_DC,
 * SIMPLECM_CASSANDRA_USERNAME and SIMPLECM_CASSANDRA_PASSWORD.
 */
const crypto = require('node:crypto');
const { Client, auth } = require('cassandra-driver');

const env = process.env;
const user = env.SIMPLECM_CASSANDRA_USERNAME;
const password = env.SIMPLECM_CASSANDRA_PASSWORD;
if (!user || !password || password.length < 12) {
  console.error('cassandra-roles: set SIMPLECM_CASSANDRA_USERNAME and SIMPLECM_CASSANDRA_PASSWORD (12+ characters)');
  process.exit(2);
}
const contactPoints = (env.SIMPLECM_CASSANDRA_CONTACT_POINTS ?? '127.0.0.1:9042').split(',');
const quote = (s) => `'${s.replace(/'/g, "''")}'`;
const ident = (s) => `"${s.replace(/"/g, '""')}"`;

async function login(name, secret) {
  const client = new Client({ contactPoints, localDataCenter: env.SIMPLECM_CASSANDRA_DC ?? 'datacenter1', authProvider: new auth.PlainTextAuthProvider(name, secret) });
  try {
    await client.connect();
    return client;
  } catch (error) {
    await client.shutdown().catch(() => undefined);
    throw error;
  }
}

async function main() {
  const deadline = Date.now() + 180_000;
  for (;;) {
    try {
      const done = await login(user, password);
      await done.shutdown();
      console.log(`cassandra-roles: role ${user} logs in`);
      return;
    } catch {
      // not set up yet (or Cassandra not up yet)
    }
    try {
      const admin = await login('cassandra', 'cassandra');
      try {
        await admin.execute(`CREATE ROLE IF NOT EXISTS ${ident(user)} WITH PASSWORD = ${quote(password)} AND LOGIN = true AND SUPERUSER = true`);
      } finally {
        await admin.shutdown();
      }
      const own = await login(user, password);
      try {
        await own.execute(`ALTER ROLE cassandra WITH PASSWORD = ${quote(crypto.randomBytes(32).toString('hex'))} AND LOGIN = false`);
      } finally {
        await own.shutdown();
      }
      console.log(`cassandra-roles: created role ${user}; the default superuser cassandra can no longer log in`);
      return;
    } catch (error) {
      if (Date.now() > deadline) throw error;
      await new Promise((resolve) => setTimeout(resolve, 2000));
    }
  }
}

main().catch((error) => {
  console.error(`cassandra-roles: ${error.message}`);
  process.exit(1);
});
