-- Ground truth of GET /api/v1/products/popular/?days=N&limit=M: units of paid (not undone)
-- order lines whose order was paid in the last N calendar days in UTC, today included.
-- Params: days, limit.
SELECT oi.product_id, sum(oi.quantity)::bigint AS quantity
  FROM orders_orderitem oi
  JOIN orders_order o ON o.id = oi.order_id
 WHERE o.status_code IN ('paid', 'processing', 'shipped', 'delivered')
   AND o.paid_at >= ((now() AT TIME ZONE 'UTC')::date - (%(days)s - 1)) AT TIME ZONE 'UTC'
 GROUP BY oi.product_id
 ORDER BY quantity DESC, oi.product_id
 LIMIT %(limit)s;
