-- The database work of filing one ticket, as the intake service does it: the ticket with
-- its routing decision, its two first events and the acknowledgement outbox row, in one
-- transaction. `cargo bench -p tongdai-server --bench load` runs this with pgbench to
-- measure the ceiling the HTTP path is compared with. Ticket ids are built from pgbench's
-- client id and two random numbers (pgbench cannot carry a returned value between
-- statements of one transaction).
\set n random(1, 2000000000)
\set m random(1, 2000000000)
BEGIN;
INSERT INTO tickets (id, code, channel, status, priority, category_code, area_code, title, description,
    agency_code, reporter_name, reporter_phone, consent_at, routing_decision, forward_due_at, accept_due_at,
    answer_due_at, created_at, updated_at, attributes)
VALUES ('pgb-' || :client_id || '-' || :n || '-' || :m,
    '1022-' || upper(substr(md5(random()::text), 1, 4)) || '-' || upper(substr(md5(random()::text), 1, 4)) || '-' || :n,
    'app', 'forwarded', 'binh-thuong', 'chieu-sang.den-duong', 'TN-P-LONGAN',
    'Đèn đường không sáng ' || :n, 'Ba cột đèn trên đường Hùng Vương không sáng từ tối qua, rất nguy hiểm.',
    'UBND-TN-P-LONGAN', 'Nguyễn Văn A', '0912345678', now(),
    repeat('{"outcome":"assigned","agency_code":"UBND-TN-P-LONGAN","rule":{"id":"R-TN-P-LONGAN-CHIEUSANG"}}', 18),
    now() + interval '5 minutes', now() + interval '1 day', now() + interval '14 days', now(), now(),
    '{"tinh-trang":"khong-sang"}');
INSERT INTO ticket_events (id, ticket_id, seq, kind, actor_kind, actor_ref, occurred_at, visibility, payload)
VALUES (gen_random_uuid()::text, 'pgb-' || :client_id || '-' || :n || '-' || :m, 1, 'created', 'citizen', NULL, now(), 'public',
    '{"channel":"app","category":"chieu-sang.den-duong","detail":"Tiếp nhận qua Ứng dụng Long An Số"}');
INSERT INTO ticket_events (id, ticket_id, seq, kind, actor_kind, actor_ref, occurred_at, visibility, payload)
VALUES (gen_random_uuid()::text, 'pgb-' || :client_id || '-' || :n || '-' || :m, 2, 'routed', 'system', 'routing', now(), 'public',
    '{"agency":"UBND-TN-P-LONGAN","rule":"R-TN-P-LONGAN-CHIEUSANG","sla_version":"tay-ninh-2026","detail":"Chuyển đến Ủy ban nhân dân phường Long An"}');
INSERT INTO outbox (id, topic, ticket_id, payload, created_at, available_at, attempts)
VALUES (gen_random_uuid()::text, 'ticket.acknowledgement', 'pgb-' || :client_id || '-' || :n || '-' || :m, '{"code":"1022-XXXX-XXXX","channel":"app"}', now(), now(), 0);
COMMIT;
