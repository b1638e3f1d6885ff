-- Coupon drop. Params: coupon_id, initial, customer_ids (the claimers), issued_201 (201s seen).
SELECT 'exactly ' || %(initial)s || ' issued' AS check_name,
       count(*) = %(initial)s AS ok,
       count(*) || ' issued' AS detail
  FROM promotions_issuedcoupon WHERE coupon_id = %(coupon_id)s
UNION ALL
SELECT 'none issued twice', count(*) = count(DISTINCT user_id), count(*) - count(DISTINCT user_id) || ' duplicates'
  FROM promotions_issuedcoupon WHERE coupon_id = %(coupon_id)s
UNION ALL
SELECT 'quantity left = initial - issued',
       c.quantity = c.initial_quantity - (SELECT count(*) FROM promotions_issuedcoupon i WHERE i.coupon_id = c.id),
       'quantity ' || c.quantity || ' of ' || c.initial_quantity
  FROM promotions_coupon c WHERE c.id = %(coupon_id)s
UNION ALL
SELECT 'one 201 per coupon issued', count(*) = %(issued_201)s, count(*) || ' rows, ' || %(issued_201)s || ' answers 201'
  FROM promotions_issuedcoupon WHERE coupon_id = %(coupon_id)s
UNION ALL
SELECT 'issued only to claimers', bool_and(user_id = ANY(%(customer_ids)s)), 'all holders claimed'
  FROM promotions_issuedcoupon WHERE coupon_id = %(coupon_id)s;
