-- Order and pay with double clicks. Params: since, customer_ids, coupon_id, discount, created_201.
WITH o AS (SELECT * FROM orders_order WHERE customer_id = ANY(%(customer_ids)s) AND created_at >= %(since)s)
SELECT 'one order per Idempotency-Key' AS check_name,
       count(*) = count(DISTINCT (customer_id, idempotency_key)) AND count(idempotency_key) = count(*) AS ok,
       count(*) || ' orders, ' || count(DISTINCT (customer_id, idempotency_key)) || ' keys' AS detail
  FROM o
UNION ALL
SELECT 'one order per 201', count(*) = %(created_201)s, count(*) || ' orders, ' || %(created_201)s || ' answers 201'
  FROM o
UNION ALL
SELECT 'every order paid (a refused one left nothing)', bool_and(status_code = 'paid') IS NOT FALSE,
       count(*) FILTER (WHERE status_code <> 'paid') || ' not paid'
  FROM o
UNION ALL
SELECT 'total = original - discount (+ shipping + tax)',
       count(*) FILTER (WHERE total_amount <> subtotal - discount_amount + shipping_cost + tax_amount
                           OR subtotal <> (SELECT sum(total_price) FROM orders_orderitem WHERE order_id = o.id)) = 0,
       count(*) FILTER (WHERE total_amount <> subtotal - discount_amount + shipping_cost + tax_amount
                           OR subtotal <> (SELECT sum(total_price) FROM orders_orderitem WHERE order_id = o.id))
         || ' orders off'
  FROM o
UNION ALL
SELECT 'discount only with the coupon, its full amount',
       count(*) FILTER (WHERE (issued_coupon_id IS NULL AND discount_amount <> 0)
                           OR (issued_coupon_id IS NOT NULL AND discount_amount <> least(%(discount)s, subtotal))) = 0,
       count(*) FILTER (WHERE issued_coupon_id IS NOT NULL) || ' orders with the coupon'
  FROM o
UNION ALL
SELECT 'each coupon used by at most one order', count(*) = count(DISTINCT issued_coupon_id),
       count(*) || ' uses of ' || count(DISTINCT issued_coupon_id) || ' coupons'
  FROM o WHERE issued_coupon_id IS NOT NULL
UNION ALL
SELECT 'paid = charged (payment = total = wallet use)',
       count(*) FILTER (WHERE p.amount IS DISTINCT FROM o.total_amount
                           OR coalesce(e.amount, 0) <> o.total_amount) = 0,
       count(*) FILTER (WHERE p.amount IS DISTINCT FROM o.total_amount OR coalesce(e.amount, 0) <> o.total_amount)
         || ' orders off'
  FROM o LEFT JOIN payments_payment p ON p.order_id = o.id AND p.status = 'captured'
         LEFT JOIN payments_walletentry e ON e.order_id = o.id AND e.entry_type = 'use'
UNION ALL
SELECT 'wallet = ledger (all 500)', count(*) FILTER (WHERE w.balance <> coalesce(l.total, 0)) = 0,
       count(*) FILTER (WHERE w.balance <> coalesce(l.total, 0)) || ' of ' || count(*) || ' off'
  FROM payments_wallet w
  LEFT JOIN (SELECT wallet_id, sum(CASE WHEN entry_type = 'use' THEN -amount ELSE amount END) AS total
               FROM payments_walletentry GROUP BY wallet_id) l ON l.wallet_id = w.id
 WHERE w.user_id = ANY(%(customer_ids)s);
