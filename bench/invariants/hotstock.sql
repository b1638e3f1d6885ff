-- Hot stock. Params: since, hot_variant_id, hot_initial, basket_variant_ids, basket_initial,
-- hot_customer_ids, hot_winners (customers who got 201), deadlocks_before.
WITH variants AS (
       SELECT id, CASE WHEN id = %(hot_variant_id)s THEN %(hot_initial)s ELSE %(basket_initial)s END AS initial
         FROM catalog_productvariant WHERE id = %(hot_variant_id)s OR id = ANY(%(basket_variant_ids)s)),
     stock AS (
       SELECT v.id, v.initial, sum(i.quantity) AS quantity
         FROM variants v JOIN inventory_inventoryitem i ON i.variant_id = v.id GROUP BY v.id, v.initial),
     sold AS (
       SELECT oi.variant_id, sum(oi.quantity) AS quantity
         FROM orders_orderitem oi JOIN orders_order o ON o.id = oi.order_id
        WHERE oi.variant_id IN (SELECT id FROM variants) AND o.status_code = 'paid' GROUP BY oi.variant_id),
     taken AS (
       SELECT i.variant_id, -sum(h.quantity_delta) AS quantity
         FROM inventory_inventoryhistory h JOIN inventory_inventoryitem i ON i.id = h.inventory_item_id
        WHERE i.variant_id IN (SELECT id FROM variants) AND h.change_type = 'sale' GROUP BY i.variant_id)
SELECT 'stock never negative' AS check_name,
       (SELECT min(quantity) FROM stock) >= 0
         AND NOT EXISTS (SELECT 1 FROM inventory_inventoryhistory h JOIN inventory_inventoryitem i
                          ON i.id = h.inventory_item_id
                          WHERE i.variant_id IN (SELECT id FROM variants) AND h.quantity_after < 0) AS ok,
       'lowest stock ' || (SELECT min(quantity) FROM stock) AS detail
UNION ALL
SELECT 'sold = stock taken = initial - left (every variant)',
       count(*) FILTER (WHERE coalesce(sold.quantity, 0) <> coalesce(taken.quantity, 0)
                           OR coalesce(taken.quantity, 0) <> stock.initial - stock.quantity) = 0,
       count(*) FILTER (WHERE coalesce(sold.quantity, 0) <> coalesce(taken.quantity, 0)
                           OR coalesce(taken.quantity, 0) <> stock.initial - stock.quantity) || ' variants off'
  FROM stock LEFT JOIN sold ON sold.variant_id = stock.id LEFT JOIN taken ON taken.variant_id = stock.id
UNION ALL
SELECT 'hot variant sold out exactly', (SELECT quantity FROM stock WHERE id = %(hot_variant_id)s) = 0
         AND (SELECT quantity FROM sold WHERE variant_id = %(hot_variant_id)s) = %(hot_initial)s,
       'sold ' || coalesce((SELECT quantity FROM sold WHERE variant_id = %(hot_variant_id)s), 0) || ' of ' || %(hot_initial)s
UNION ALL
SELECT 'one order per hot winner', count(*) = cardinality(%(hot_winners)s::bigint[]),
       count(*) || ' orders, ' || cardinality(%(hot_winners)s::bigint[]) || ' winners'
  FROM orders_order WHERE customer_id = ANY(%(hot_customer_ids)s) AND created_at >= %(since)s
UNION ALL
SELECT 'losers untouched (no order, wallet entry or stock movement)',
       NOT EXISTS (SELECT 1 FROM orders_order WHERE customer_id = ANY(%(losers)s) AND created_at >= %(since)s)
         AND NOT EXISTS (SELECT 1 FROM payments_walletentry e JOIN payments_wallet w ON w.id = e.wallet_id
                          WHERE w.user_id = ANY(%(losers)s) AND e.created_at >= %(since)s)
         AND NOT EXISTS (SELECT 1 FROM inventory_inventoryhistory WHERE actor_id = ANY(%(losers)s)
                          AND created_at >= %(since)s),
       cardinality(%(losers)s::bigint[]) || ' losers checked'
UNION ALL
SELECT 'wallet = ledger (every customer of the run)',
       count(*) FILTER (WHERE w.balance <> coalesce(l.total, 0)) = 0,
       count(*) FILTER (WHERE w.balance <> coalesce(l.total, 0)) || ' of ' || count(*) || ' off'
  FROM payments_wallet w
  LEFT JOIN (SELECT wallet_id, sum(CASE WHEN entry_type = 'use' THEN -amount ELSE amount END) AS total
               FROM payments_walletentry GROUP BY wallet_id) l ON l.wallet_id = w.id
 WHERE w.user_id = ANY(%(all_customer_ids)s)
UNION ALL
SELECT 'no deadlock', deadlocks = %(deadlocks_before)s, (deadlocks - %(deadlocks_before)s) || ' new deadlocks'
  FROM pg_stat_database WHERE datname = current_database();
