// Thirty days of sample activity for the dashboard's screenshot test, written straight into
// a fresh anshin SQLite database with the sqlite3 CLI: a site moving from SMS codes to
// passkeys, with an SMS-pumping wave the risk engine blocked. Every figure is a function of
// the day, so the test can compute what the dashboard must show.
import { execFileSync } from 'node:child_process';

export const DAY = 86400;
export const USERS_BEFORE = 200;
export const HOLDERS_BEFORE = 30;
export const NEW_USERS_PER_DAY = 4;
export const day = (d) => ({
  newHolders: 2 + Math.floor(d / 3),
  passkeyLogins: 20 + 3 * d,
  smsLogins: Math.max(3, 36 - d),
  // a pumping wave on days 18 to 20, then the prefix breaker holds it
  blockedPumping: d >= 18 && d <= 20 ? [24, 41, 13][d - 18] : 0,
  blockedVelocity: d % 5 === 0 ? 2 : 0,
  stepUps: 2 + (d % 4),
  denies: d % 7 === 0 ? 2 : 0,
});

const hex = (n, bytes) => n.toString(16).padStart(bytes * 2, '0');
const q = (s) => `'${String(s).replace(/'/g, "''")}'`;

/** Writes the history for the 30 days starting at `since` (unix seconds, a day boundary). */
export function writeHistory(dbPath, since) {
  const sql = ['BEGIN;'];
  let user = 0;
  const users = [];
  const addUser = (at) => {
    user += 1;
    const id = `00000000-0000-4000-8000-${hex(user, 6)}`;
    sql.push(`INSERT INTO users (id, handle, name, display_name, phone, created_at) VALUES (${q(id)}, X'${hex(user, 16)}', ${q(`sample${user}@example.com`)}, ${q(`Sample ${user}`)}, NULL, ${at});`);
    users.push(id);
    return id;
  };
  let cred = 0;
  const addPasskey = (userId, at) => {
    cred += 1;
    sql.push(
      `INSERT INTO credentials (id, user_id, public_key, sign_count, uv_initialized, transports, backup_eligible, backup_state, aaguid, attestation_format, discoverable, nickname, authenticator_name, attestation_type, attestation_trusted, created_at, last_used_at) VALUES (X'${hex(cred, 32)}', ${q(userId)}, X'00', 0, 1, '["internal","hybrid"]', 1, 1, X'${hex(0, 16)}', 'none', 1, NULL, NULL, 'none', 0, ${at}, NULL);`,
    );
  };
  const before = since - 40 * DAY;
  for (let i = 0; i < USERS_BEFORE; i++) addUser(before + i);
  for (let i = 0; i < HOLDERS_BEFORE; i++) addPasskey(users[i], before + 1000 + i);
  let holders = HOLDERS_BEFORE;
  let decision = 0;
  let sms = 0;
  const addDecision = (at, action, level, point, codes) => {
    decision += 1;
    const body = JSON.stringify({ action, level, reasons: codes.map((code) => ({ code })) });
    sql.push(`INSERT INTO risk_decisions (id, point, user_id, action, level, decision, facts, policy_version, created_at) VALUES ('sample-${decision}', ${q(point)}, NULL, ${q(action)}, ${q(level)}, ${q(body)}, '{}', 'sample', ${at});`);
  };
  const addSms = (at, status, reason) => {
    sms += 1;
    sql.push(`INSERT INTO sms_messages (id, user_id, phone_hash, country, prefix, status, reason, price_micros, created_at, verified_at) VALUES ('sample-${sms}', NULL, X'${hex(sms, 32)}', 'GB', '+44770090', ${q(status)}, ${reason ? q(reason) : 'NULL'}, 40000, ${at}, ${status === 'sent' ? at + 30 : 'NULL'});`);
  };
  for (let d = 0; d < 30; d++) {
    const t = since + d * DAY + 3600;
    const f = day(d);
    for (let i = 0; i < NEW_USERS_PER_DAY; i++) addUser(t + i);
    for (let i = 0; i < f.newHolders; i++) addPasskey(users[holders++], t + 100 + i);
    for (let i = 0; i < f.passkeyLogins; i++) {
      sql.push(`INSERT INTO logins (user_id, at, method, ip) VALUES (${q(users[i % holders])}, ${t + 200 + i}, 'passkey', '192.0.2.1');`);
      addDecision(t + 200 + i, 'allow', 'LOW', 'login', []);
    }
    for (let i = 0; i < f.smsLogins; i++) {
      sql.push(`INSERT INTO logins (user_id, at, method, ip) VALUES (${q(users[holders + (i % 50)])}, ${t + 400 + i}, 'sms', '192.0.2.2');`);
      addSms(t + 390 + i, 'sent', null);
    }
    for (let i = 0; i < f.stepUps; i++) addDecision(t + 600 + i, 'step_up', 'MEDIUM', 'login', i % 2 ? ['new_country'] : ['impossible_travel', 'new_device']);
    for (let i = 0; i < f.denies; i++) addDecision(t + 700 + i, 'deny', 'HIGH', 'login', ['ip_failure_burst']);
    for (let i = 0; i < f.blockedPumping; i++) {
      addSms(t + 800 + i, 'blocked', 'sms_prefix_blocked');
      addDecision(t + 800 + i, 'deny', 'HIGH', 'sms_send', ['sms_prefix_blocked']);
    }
    for (let i = 0; i < f.blockedVelocity; i++) {
      addSms(t + 900 + i, 'blocked', 'sms_velocity');
      addDecision(t + 900 + i, 'deny', 'MEDIUM', 'sms_send', ['sms_velocity']);
    }
  }
  sql.push('COMMIT;');
  execFileSync('sqlite3', [dbPath], { input: sql.join('\n') });
  return { users: user, holders };
}
