-- Wallet storm. Params: user_id, since, charges_201, pays_201 (the answers the clients saw).
WITH w AS (SELECT * FROM payments_wallet WHERE user_id = %(user_id)s),
     e AS (SELECT e.* FROM payments_walletentry e JOIN w ON e.wallet_id = w.id)
SELECT 'balance = ledger sum' AS check_name,
       w.balance = (SELECT coalesce(sum(CASE WHEN entry_type = 'use' THEN -amount ELSE amount END), 0) FROM e) AS ok,
       'balance ' || w.balance || ', ledger ' ||
         (SELECT coalesce(sum(CASE WHEN entry_type = 'use' THEN -amount ELSE amount END), 0) FROM e) AS detail
  FROM w
UNION ALL
SELECT 'never negative', coalesce(min(balance_after), 0) >= 0 AND (SELECT balance FROM w) >= 0,
       'lowest balance ' || coalesce(min(balance_after), 0)
  FROM e
UNION ALL
SELECT 'each balance_after follows the one before',
       count(*) FILTER (WHERE balance_after <> prev + CASE WHEN entry_type = 'use' THEN -amount ELSE amount END) = 0,
       count(*) FILTER (WHERE balance_after <> prev + CASE WHEN entry_type = 'use' THEN -amount ELSE amount END)
         || ' breaks in the chain'
  FROM (SELECT *, lag(balance_after, 1, 0::numeric) OVER (ORDER BY id) AS prev FROM e) chained
UNION ALL
SELECT 'one ledger row per charge 201', count(*) = %(charges_201)s,
       count(*) || ' charge rows, ' || %(charges_201)s || ' answers 201'
  FROM e WHERE entry_type = 'charge' AND created_at >= %(since)s
UNION ALL
SELECT 'one ledger row per payment 201', count(*) = %(pays_201)s,
       count(*) || ' use rows, ' || %(pays_201)s || ' answers 201'
  FROM e WHERE entry_type = 'use' AND created_at >= %(since)s
UNION ALL
SELECT 'one paid order per payment 201', count(*) = %(pays_201)s AND bool_and(status_code = 'paid') IS NOT FALSE,
       count(*) || ' orders'
  FROM orders_order WHERE customer_id = %(user_id)s AND created_at >= %(since)s;
