-- Card checkout (order, confirm, webhook), after the run settled. Params: since, customer_ids,
-- variant_ids, initial, created_201, captured_order_ids (the pay answer said captured),
-- confirmed_order_ids (the customer approved at the bank).
WITH o AS (SELECT * FROM orders_order WHERE customer_id = ANY(%(customer_ids)s) AND created_at >= %(since)s),
     p AS (SELECT p.* FROM payments_payment p JOIN o ON o.id = p.order_id),
     per_order AS (
       SELECT o.id, o.status_code, o.total_amount,
              count(p.id) FILTER (WHERE p.status = 'captured') AS captured,
              coalesce(sum(p.captured_amount) FILTER (WHERE p.status = 'captured'), 0) AS captured_sum,
              count(p.id) FILTER (WHERE p.status IN ('captured', 'partially_refunded', 'refunded')) AS took_money
         FROM o LEFT JOIN p ON p.order_id = o.id GROUP BY o.id, o.status_code, o.total_amount),
     sold AS (
       SELECT i.variant_id, sum(i.quantity) AS units
         FROM orders_orderitem i JOIN o ON o.id = i.order_id
        WHERE o.status_code = 'paid' GROUP BY i.variant_id),
     stock AS (
       SELECT v.id AS variant_id, inv.quantity, inv.reserved_quantity, coalesce(s.units, 0) AS sold,
              coalesce((SELECT -sum(h.quantity_delta) FROM inventory_inventoryhistory h
                         WHERE h.inventory_item_id = inv.id AND h.change_type = 'sale'), 0) AS ledger_sold,
              coalesce((SELECT sum(r.quantity) FROM inventory_stockreservation r
                         WHERE r.inventory_item_id = inv.id AND r.status = 'held'), 0) AS held
         FROM unnest(%(variant_ids)s::bigint[]) AS v(id)
         JOIN inventory_inventoryitem inv ON inv.variant_id = v.id
         LEFT JOIN sold s ON s.variant_id = v.id),
     r AS (SELECT r.*, o.status_code FROM inventory_stockreservation r JOIN o ON o.id = r.order_id)
SELECT 'one order per Idempotency-Key and per 201' AS check_name,
       count(*) = count(DISTINCT (customer_id, idempotency_key)) AND count(*) = %(created_201)s AS ok,
       count(*) || ' orders, ' || count(DISTINCT (customer_id, idempotency_key)) || ' keys, '
         || %(created_201)s || ' answers 201' AS detail
  FROM o
UNION ALL
SELECT 'every paid order: exactly one captured payment of its total',
       count(*) FILTER (WHERE captured <> 1 OR captured_sum <> total_amount) = 0,
       count(*) || ' paid, ' || count(*) FILTER (WHERE captured <> 1 OR captured_sum <> total_amount) || ' off'
  FROM per_order WHERE status_code = 'paid'
UNION ALL
SELECT 'no order paid twice, none refunded, money only for paid orders',
       count(*) FILTER (WHERE took_money > 1 OR (took_money = 1 AND status_code <> 'paid')) = 0
         AND NOT EXISTS (SELECT 1 FROM payments_refund f JOIN p ON p.id = f.payment_id),
       count(*) FILTER (WHERE took_money > 1) || ' paid twice, '
         || count(*) FILTER (WHERE took_money = 1 AND status_code <> 'paid') || ' charged but not paid, '
         || (SELECT count(*) FROM payments_refund f JOIN p ON p.id = f.payment_id) || ' refunds'
  FROM per_order
UNION ALL
SELECT 'every pay answered captured and every approval at the bank ended paid',
       count(*) FILTER (WHERE status_code <> 'paid') = 0,
       count(*) FILTER (WHERE id = ANY(%(confirmed_order_ids)s)) || ' approved, '
         || count(*) FILTER (WHERE status_code <> 'paid') || ' not paid'
  FROM o WHERE id = ANY(%(captured_order_ids)s) OR id = ANY(%(confirmed_order_ids)s)
UNION ALL
SELECT 'the processor captured once per captured payment, never otherwise',
       count(*) FILTER (WHERE (p.status = 'captured') <> (c.n = 1) OR c.n > 1) = 0,
       count(*) FILTER (WHERE p.status = 'captured') || ' captured, '
         || count(*) FILTER (WHERE (p.status = 'captured') <> (c.n = 1) OR c.n > 1) || ' off'
  FROM p LEFT JOIN LATERAL (SELECT count(*) AS n FROM payments_sandboxoperation s
                             WHERE s.reference = p.gateway_reference AND s.operation = 'capture') c ON true
UNION ALL
SELECT 'no payment left authorized (not captured) after settling',
       count(*) FILTER (WHERE status = 'authorized') = 0,
       count(*) FILTER (WHERE status = 'authorized') || ' authorized, '
         || count(*) FILTER (WHERE status = 'action_required') || ' still at the bank (never confirmed)'
  FROM p
UNION ALL
SELECT 'the webhooks came: each captured payment has its payment.captured event',
       count(*) FILTER (WHERE NOT EXISTS (SELECT 1 FROM payments_webhookevent w
                                            WHERE w.payment_id = p.id AND w.event_type = 'payment.captured')) = 0,
       (SELECT count(*) FROM payments_webhookevent w JOIN p ON p.id = w.payment_id) || ' events, '
         || count(*) FILTER (WHERE NOT EXISTS (SELECT 1 FROM payments_webhookevent w
                                                WHERE w.payment_id = p.id AND w.event_type = 'payment.captured'))
         || ' captured without'
  FROM p WHERE p.status = 'captured'
UNION ALL
SELECT 'stock taken = units in paid orders (stock and ledger, per variant)',
       count(*) FILTER (WHERE %(initial)s - quantity <> sold OR ledger_sold <> sold) = 0,
       sum(sold) || ' units sold, ' || count(*) FILTER (WHERE %(initial)s - quantity <> sold OR ledger_sold <> sold)
         || ' variants off'
  FROM stock
UNION ALL
SELECT 'reserved units = held reservations', count(*) FILTER (WHERE reserved_quantity <> held) = 0,
       sum(held) || ' units held, ' || count(*) FILTER (WHERE reserved_quantity <> held) || ' variants off'
  FROM stock
UNION ALL
SELECT 'paid orders'' reservations converted; held only for pending orders, none past expiry',
       count(*) FILTER (WHERE (status_code = 'paid' AND status <> 'converted')
                           OR (status = 'held' AND (status_code <> 'pending' OR expires_at < now()))) = 0,
       count(*) FILTER (WHERE status = 'converted') || ' converted, ' || count(*) FILTER (WHERE status = 'held')
         || ' held, ' || count(*) FILTER (WHERE (status_code = 'paid' AND status <> 'converted')
                           OR (status = 'held' AND (status_code <> 'pending' OR expires_at < now()))) || ' off'
  FROM r;
