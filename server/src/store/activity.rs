//! The [`ActivityStore`](super::ActivityStore) implementation shared by the two sqlx backends
//! (expanded next to `sqlx_store_impl!`, whose helpers it uses: `Db`, `DbRow`, `col`,
//! `uuid_arg`, `uuid_col`, `map_sqlx`, `to_json`, `insert_session`, `insert_events`).

/// Expands the activity store for a backend module.
macro_rules! sqlx_activity_impl {
    ($store:ident, $backend:tt) => {
        async fn insert_login(
            conn: &mut DbConnection,
            login: &$crate::store::LoginRecord,
        ) -> $crate::store::StoreResult<()> {
            sqlx::query(
                "INSERT INTO logins (user_id, at, method, ip, country, city, latitude, \
                 longitude, device_id) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
            )
            .bind(uuid_arg(login.user_id))
            .bind(login.at)
            .bind(&login.method)
            .bind(&login.ip)
            .bind(&login.country)
            .bind(&login.city)
            .bind(login.latitude)
            .bind(login.longitude)
            .bind(&login.device_id)
            .execute(conn)
            .await
            .map_err(map_sqlx)?;
            Ok(())
        }

        /// Marks the pending nudge of a session converted (a passkey was added in it).
        async fn convert_nudge(
            conn: &mut DbConnection,
            session_id: &str,
            now: i64,
        ) -> $crate::store::StoreResult<()> {
            sqlx::query(
                "UPDATE nudges SET converted_at = $2 \
                 WHERE session_id = $1 AND converted_at IS NULL",
            )
            .bind(session_id)
            .bind(now)
            .execute(conn)
            .await
            .map_err(map_sqlx)?;
            Ok(())
        }

        fn count(row: &DbRow, column: &str) -> $crate::store::StoreResult<i64> {
            let value: Option<i64> = col(row, column)?;
            Ok(value.unwrap_or(0))
        }

        #[async_trait::async_trait]
        impl $crate::store::ActivityStore for $store {
            #[tracing::instrument(skip_all, fields(db = $backend))]
            async fn last_login(
                &self,
                user_id: uuid::Uuid,
            ) -> $crate::store::StoreResult<Option<$crate::store::LoginRecord>> {
                let row = sqlx::query(
                    "SELECT user_id, at, method, ip, country, city, latitude, longitude, \
                     device_id FROM logins WHERE user_id = $1 ORDER BY at DESC, id DESC LIMIT 1",
                )
                .bind(uuid_arg(user_id))
                .fetch_optional(&self.pool)
                .await
                .map_err(map_sqlx)?;
                row.map(|row| {
                    Ok($crate::store::LoginRecord {
                        user_id: uuid_col(&row, "user_id")?,
                        at: col(&row, "at")?,
                        method: col(&row, "method")?,
                        ip: col(&row, "ip")?,
                        country: col(&row, "country")?,
                        city: col(&row, "city")?,
                        latitude: col(&row, "latitude")?,
                        longitude: col(&row, "longitude")?,
                        device_id: col(&row, "device_id")?,
                    })
                })
                .transpose()
            }

            #[tracing::instrument(skip_all, fields(db = $backend))]
            async fn device_known(
                &self,
                user_id: uuid::Uuid,
                device_id: &str,
            ) -> $crate::store::StoreResult<bool> {
                let row = sqlx::query(
                    "SELECT 1 AS one FROM logins WHERE user_id = $1 AND device_id = $2 LIMIT 1",
                )
                .bind(uuid_arg(user_id))
                .bind(device_id)
                .fetch_optional(&self.pool)
                .await
                .map_err(map_sqlx)?;
                Ok(row.is_some())
            }

            #[tracing::instrument(skip_all, fields(db = $backend))]
            async fn update_session(
                &self,
                session: &$crate::store::Session,
                events: &[$crate::store::NewEvent],
            ) -> $crate::store::StoreResult<bool> {
                // Queued behind the SQLite store's other writers (see `writer`).
                let _writing = self.writer().await;
                let mut tx = self.pool.begin().await.map_err(map_sqlx)?;
                let updated = sqlx::query(
                    "UPDATE sessions SET acr = $2, amr = $3, auth_time = $4, acr_levels = $5 \
                     WHERE id = $1 AND revoked_at IS NULL",
                )
                .bind(&session.id)
                .bind(&session.acr)
                .bind(to_json(&session.amr)?)
                .bind(session.auth_time)
                .bind(to_json(&session.levels)?)
                .execute(&mut *tx)
                .await
                .map_err(map_sqlx)?
                .rows_affected();
                if updated == 0 {
                    return Ok(false);
                }
                insert_events(&mut tx, events).await?;
                tx.commit().await.map_err(map_sqlx)?;
                Ok(true)
            }

            #[tracing::instrument(skip_all, fields(db = $backend))]
            async fn record_decision(
                &self,
                record: &$crate::store::DecisionRecord,
            ) -> $crate::store::StoreResult<()> {
                // Queued behind the SQLite store's other writers (see `writer`).
                let _writing = self.writer().await;
                sqlx::query(
                    "INSERT INTO risk_decisions (id, point, user_id, action, level, decision, \
                     facts, policy_version, created_at) \
                     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
                )
                .bind(&record.id)
                .bind(&record.point)
                .bind(record.user_id.map(uuid_arg))
                .bind(&record.action)
                .bind(&record.level)
                .bind(to_json(&record.decision)?)
                .bind(to_json(&record.facts)?)
                .bind(&record.policy_version)
                .bind(record.created_at)
                .execute(&self.pool)
                .await
                .map_err(map_sqlx)?;
                Ok(())
            }

            #[tracing::instrument(skip_all, fields(db = $backend))]
            async fn record_feedback(
                &self,
                decision_id: &str,
                label: &str,
                now: i64,
                events: &[$crate::store::NewEvent],
            ) -> $crate::store::StoreResult<bool> {
                // Queued behind the SQLite store's other writers (see `writer`).
                let _writing = self.writer().await;
                let mut tx = self.pool.begin().await.map_err(map_sqlx)?;
                // A write first, so that SQLite takes the write lock at once.
                let inserted = sqlx::query(
                    "INSERT INTO risk_feedback (decision_id, label, created_at) \
                     SELECT id, $2, $3 FROM risk_decisions WHERE id = $1",
                )
                .bind(decision_id)
                .bind(label)
                .bind(now)
                .execute(&mut *tx)
                .await
                .map_err(map_sqlx)?
                .rows_affected();
                if inserted == 0 {
                    return Ok(false);
                }
                insert_events(&mut tx, events).await?;
                tx.commit().await.map_err(map_sqlx)?;
                Ok(true)
            }

            #[tracing::instrument(skip_all, fields(db = $backend))]
            async fn revoke_sessions_of(
                &self,
                user_id: uuid::Uuid,
                now: i64,
                events: &[$crate::store::NewEvent],
            ) -> $crate::store::StoreResult<u64> {
                // Queued behind the SQLite store's other writers (see `writer`).
                let _writing = self.writer().await;
                let mut tx = self.pool.begin().await.map_err(map_sqlx)?;
                let revoked = sqlx::query(
                    "UPDATE sessions SET revoked_at = $2 \
                     WHERE user_id = $1 AND revoked_at IS NULL",
                )
                .bind(uuid_arg(user_id))
                .bind(now)
                .execute(&mut *tx)
                .await
                .map_err(map_sqlx)?
                .rows_affected();
                insert_events(&mut tx, events).await?;
                tx.commit().await.map_err(map_sqlx)?;
                Ok(revoked)
            }

            #[tracing::instrument(skip_all, fields(db = $backend))]
            async fn decision_user(
                &self,
                decision_id: &str,
            ) -> $crate::store::StoreResult<Option<uuid::Uuid>> {
                let row = sqlx::query("SELECT user_id FROM risk_decisions WHERE id = $1")
                    .bind(decision_id)
                    .fetch_optional(&self.pool)
                    .await
                    .map_err(map_sqlx)?;
                match row {
                    Some(row) => uuid_col_opt(&row, "user_id"),
                    None => Ok(None),
                }
            }

            #[tracing::instrument(skip_all, fields(db = $backend))]
            async fn record_sms(
                &self,
                record: &$crate::store::SmsRecord,
                events: &[$crate::store::NewEvent],
            ) -> $crate::store::StoreResult<()> {
                // Queued behind the SQLite store's other writers (see `writer`).
                let _writing = self.writer().await;
                let mut tx = self.pool.begin().await.map_err(map_sqlx)?;
                sqlx::query(
                    "INSERT INTO sms_messages (id, user_id, phone_hash, country, prefix, status, \
                     reason, price_micros, created_at) \
                     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
                )
                .bind(&record.id)
                .bind(record.user_id.map(uuid_arg))
                .bind(record.phone_hash.as_slice())
                .bind(&record.country)
                .bind(&record.prefix)
                .bind(&record.status)
                .bind(&record.reason)
                .bind(record.price_micros)
                .bind(record.created_at)
                .execute(&mut *tx)
                .await
                .map_err(map_sqlx)?;
                insert_events(&mut tx, events).await?;
                tx.commit().await.map_err(map_sqlx)
            }

            #[tracing::instrument(skip_all, fields(db = $backend))]
            async fn sms_signed_in(
                &self,
                write: &$crate::store::SmsSignIn,
            ) -> $crate::store::StoreResult<bool> {
                // Queued behind the SQLite store's other writers (see `writer`).
                let _writing = self.writer().await;
                let mut tx = self.pool.begin().await.map_err(map_sqlx)?;
                let verified = sqlx::query(
                    "UPDATE sms_messages SET verified_at = $2 \
                     WHERE id = $1 AND status = 'sent' AND verified_at IS NULL",
                )
                .bind(&write.sms_id)
                .bind(write.login.at)
                .execute(&mut *tx)
                .await
                .map_err(map_sqlx)?
                .rows_affected();
                if verified == 0 {
                    return Ok(false);
                }
                insert_session(&mut tx, &write.session).await?;
                insert_login(&mut tx, &write.login).await?;
                if write.nudge {
                    sqlx::query(
                        "INSERT INTO nudges (user_id, session_id, shown_at) VALUES ($1, $2, $3)",
                    )
                    .bind(uuid_arg(write.session.user_id))
                    .bind(&write.session.id)
                    .bind(write.login.at)
                    .execute(&mut *tx)
                    .await
                    .map_err(map_sqlx)?;
                }
                insert_events(&mut tx, &write.events).await?;
                tx.commit().await.map_err(map_sqlx)?;
                Ok(true)
            }

            #[tracing::instrument(skip_all, fields(db = $backend))]
            async fn push_dev_sms(
                &self,
                phone: &str,
                body: &str,
                now: i64,
            ) -> $crate::store::StoreResult<()> {
                // Queued behind the SQLite store's other writers (see `writer`).
                let _writing = self.writer().await;
                sqlx::query("INSERT INTO sms_outbox (phone, body, created_at) VALUES ($1, $2, $3)")
                    .bind(phone)
                    .bind(body)
                    .bind(now)
                    .execute(&self.pool)
                    .await
                    .map_err(map_sqlx)?;
                Ok(())
            }

            #[tracing::instrument(skip_all, fields(db = $backend))]
            async fn dev_sms(&self, phone: &str) -> $crate::store::StoreResult<Vec<String>> {
                sqlx::query("SELECT body FROM sms_outbox WHERE phone = $1 ORDER BY id")
                    .bind(phone)
                    .fetch_all(&self.pool)
                    .await
                    .map_err(map_sqlx)?
                    .iter()
                    .map(|row| col(row, "body"))
                    .collect()
            }

            #[tracing::instrument(skip_all, fields(db = $backend))]
            async fn activity(
                &self,
                since: i64,
            ) -> $crate::store::StoreResult<$crate::store::ActivityCounts> {
                let logins = sqlx::query(
                    "SELECT \
                     CAST(SUM(CASE WHEN method = 'passkey' THEN 1 ELSE 0 END) AS BIGINT) AS passkey, \
                     CAST(SUM(CASE WHEN method = 'sms' THEN 1 ELSE 0 END) AS BIGINT) AS sms, \
                     COUNT(DISTINCT user_id) AS users \
                     FROM logins WHERE at >= $1",
                )
                .bind(since)
                .fetch_one(&self.pool)
                .await
                .map_err(map_sqlx)?;
                let with_passkey = sqlx::query(
                    "SELECT COUNT(DISTINCT l.user_id) AS users FROM logins l \
                     WHERE l.at >= $1 AND EXISTS \
                     (SELECT 1 FROM credentials c WHERE c.user_id = l.user_id)",
                )
                .bind(since)
                .fetch_one(&self.pool)
                .await
                .map_err(map_sqlx)?;
                let sms = sqlx::query(
                    "SELECT \
                     CAST(SUM(CASE WHEN status = 'sent' THEN 1 ELSE 0 END) AS BIGINT) AS sent, \
                     CAST(SUM(CASE WHEN verified_at IS NOT NULL THEN 1 ELSE 0 END) AS BIGINT) AS verified, \
                     CAST(SUM(CASE WHEN status = 'sent' THEN price_micros ELSE 0 END) AS BIGINT) AS cost \
                     FROM sms_messages WHERE created_at >= $1",
                )
                .bind(since)
                .fetch_one(&self.pool)
                .await
                .map_err(map_sqlx)?;
                let blocked = sqlx::query(
                    "SELECT COALESCE(reason, 'unknown') AS reason, COUNT(*) AS n, \
                     CAST(SUM(price_micros) AS BIGINT) AS cost FROM sms_messages \
                     WHERE created_at >= $1 AND status = 'blocked' \
                     GROUP BY COALESCE(reason, 'unknown') ORDER BY reason",
                )
                .bind(since)
                .fetch_all(&self.pool)
                .await
                .map_err(map_sqlx)?
                .iter()
                .map(|row| {
                    Ok($crate::store::BlockedStats {
                        reason: col(row, "reason")?,
                        count: count(row, "n")?,
                        cost_micros: count(row, "cost")?,
                    })
                })
                .collect::<$crate::store::StoreResult<Vec<_>>>()?;
                let prefixes = sqlx::query(
                    "SELECT prefix, \
                     CAST(SUM(CASE WHEN status = 'sent' THEN 1 ELSE 0 END) AS BIGINT) AS sent, \
                     CAST(SUM(CASE WHEN verified_at IS NOT NULL THEN 1 ELSE 0 END) AS BIGINT) AS verified \
                     FROM sms_messages WHERE created_at >= $1 \
                     GROUP BY prefix ORDER BY prefix",
                )
                .bind(since)
                .fetch_all(&self.pool)
                .await
                .map_err(map_sqlx)?
                .iter()
                .map(|row| {
                    Ok($crate::store::PrefixStats {
                        prefix: col(row, "prefix")?,
                        sent: count(row, "sent")?,
                        verified: count(row, "verified")?,
                    })
                })
                .collect::<$crate::store::StoreResult<Vec<_>>>()?;
                let nudges = sqlx::query(
                    "SELECT COUNT(*) AS shown, \
                     CAST(SUM(CASE WHEN converted_at IS NOT NULL THEN 1 ELSE 0 END) AS BIGINT) AS converted \
                     FROM nudges WHERE shown_at >= $1",
                )
                .bind(since)
                .fetch_one(&self.pool)
                .await
                .map_err(map_sqlx)?;
                Ok($crate::store::ActivityCounts {
                    logins_passkey: count(&logins, "passkey")?,
                    logins_sms: count(&logins, "sms")?,
                    sms_sent: count(&sms, "sent")?,
                    sms_verified: count(&sms, "verified")?,
                    sms_cost_micros: count(&sms, "cost")?,
                    blocked,
                    active_users: count(&logins, "users")?,
                    active_users_with_passkey: count(&with_passkey, "users")?,
                    nudges_shown: count(&nudges, "shown")?,
                    nudges_converted: count(&nudges, "converted")?,
                    prefixes,
                })
            }

            #[tracing::instrument(skip_all, fields(db = $backend))]
            async fn series(
                &self,
                since: i64,
                bucket: i64,
            ) -> $crate::store::StoreResult<$crate::store::SeriesCounts> {
                // (metric, SQL): each query yields (b: bucket start, k: key, n: count).
                const QUERIES: [(&str, &str); 6] = [
                    (
                        "login",
                        "SELECT $1 + ((at - $1) / $2) * $2 AS b, method AS k, COUNT(*) AS n \
                         FROM logins WHERE at >= $1 GROUP BY 1, 2",
                    ),
                    (
                        "registration",
                        "SELECT $1 + ((created_at - $1) / $2) * $2 AS b, '' AS k, COUNT(*) AS n \
                         FROM credentials WHERE created_at >= $1 GROUP BY 1, 2",
                    ),
                    (
                        "first_passkey",
                        "SELECT $1 + ((first - $1) / $2) * $2 AS b, '' AS k, COUNT(*) AS n \
                         FROM (SELECT MIN(created_at) AS first FROM credentials GROUP BY user_id) f \
                         WHERE first >= $1 GROUP BY 1, 2",
                    ),
                    (
                        "new_user",
                        "SELECT $1 + ((created_at - $1) / $2) * $2 AS b, '' AS k, COUNT(*) AS n \
                         FROM users WHERE created_at >= $1 GROUP BY 1, 2",
                    ),
                    (
                        "sms",
                        "SELECT $1 + ((created_at - $1) / $2) * $2 AS b, status AS k, COUNT(*) AS n \
                         FROM sms_messages WHERE created_at >= $1 GROUP BY 1, 2",
                    ),
                    (
                        "decision",
                        "SELECT $1 + ((created_at - $1) / $2) * $2 AS b, action AS k, COUNT(*) AS n \
                         FROM risk_decisions WHERE created_at >= $1 GROUP BY 1, 2",
                    ),
                ];
                let mut out = $crate::store::SeriesCounts::default();
                for (metric, sql) in QUERIES {
                    let rows = sqlx::query(sql)
                        .bind(since)
                        .bind(bucket)
                        .fetch_all(&self.pool)
                        .await
                        .map_err(map_sqlx)?;
                    for row in &rows {
                        out.counts.push($crate::store::SeriesCount {
                            start: col(row, "b")?,
                            metric,
                            key: col(row, "k")?,
                            count: count(row, "n")?,
                        });
                    }
                }
                let before = sqlx::query(
                    "SELECT (SELECT COUNT(*) FROM users WHERE created_at < $1) AS users, \
                     (SELECT COUNT(*) FROM (SELECT MIN(created_at) AS first FROM credentials \
                     GROUP BY user_id) f WHERE first < $1) AS holders",
                )
                .bind(since)
                .fetch_one(&self.pool)
                .await
                .map_err(map_sqlx)?;
                out.users_before = count(&before, "users")?;
                out.passkey_users_before = count(&before, "holders")?;
                out.levels = sqlx::query(
                    "SELECT level AS k, COUNT(*) AS n FROM risk_decisions \
                     WHERE created_at >= $1 GROUP BY level ORDER BY level",
                )
                .bind(since)
                .fetch_all(&self.pool)
                .await
                .map_err(map_sqlx)?
                .iter()
                .map(|row| Ok((col(row, "k")?, count(row, "n")?)))
                .collect::<$crate::store::StoreResult<Vec<_>>>()?;
                let decisions = sqlx::query(
                    "SELECT decision FROM risk_decisions WHERE created_at >= $1 \
                     ORDER BY created_at DESC LIMIT $2",
                )
                .bind(since)
                .bind($crate::store::SERIES_REASON_SAMPLE)
                .fetch_all(&self.pool)
                .await
                .map_err(map_sqlx)?;
                let mut reasons = std::collections::BTreeMap::<String, i64>::new();
                for row in &decisions {
                    let text: String = col(row, "decision")?;
                    let decision: serde_json::Value = serde_json::from_str(&text).map_err(|e| {
                        $crate::store::StoreError::Corrupt(format!("risk_decisions.decision: {e}"))
                    })?;
                    let mut codes: Vec<&str> = decision["reasons"]
                        .as_array()
                        .map(|r| r.iter().filter_map(|r| r["code"].as_str()).collect())
                        .unwrap_or_default();
                    codes.sort_unstable();
                    codes.dedup();
                    for code in codes {
                        *reasons.entry(code.to_owned()).or_default() += 1;
                    }
                }
                out.reasons = reasons.into_iter().collect();
                Ok(out)
            }

            #[tracing::instrument(skip_all, fields(db = $backend))]
            async fn webhook_cursor(&self, name: &str) -> $crate::store::StoreResult<i64> {
                let row = sqlx::query("SELECT last_event_id FROM webhook_cursors WHERE name = $1")
                    .bind(name)
                    .fetch_optional(&self.pool)
                    .await
                    .map_err(map_sqlx)?;
                row.map_or(Ok(0), |row| col(&row, "last_event_id"))
            }

            #[tracing::instrument(skip_all, fields(db = $backend))]
            async fn advance_webhook_cursor(
                &self,
                name: &str,
                last_event_id: i64,
                now: i64,
            ) -> $crate::store::StoreResult<()> {
                // Queued behind the SQLite store's other writers (see `writer`).
                let _writing = self.writer().await;
                sqlx::query(
                    "INSERT INTO webhook_cursors (name, last_event_id, updated_at) \
                     VALUES ($1, $2, $3) ON CONFLICT (name) DO UPDATE SET \
                     last_event_id = CASE WHEN webhook_cursors.last_event_id < $2 \
                     THEN $2 ELSE webhook_cursors.last_event_id END, updated_at = $3",
                )
                .bind(name)
                .bind(last_event_id)
                .bind(now)
                .execute(&self.pool)
                .await
                .map_err(map_sqlx)?;
                Ok(())
            }
        }
    };
}

pub(super) use sqlx_activity_impl;
