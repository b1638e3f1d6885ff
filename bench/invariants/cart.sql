-- The cart scenario: every cart touched during the run adds up and holds catalogue prices.
-- Parameters: since, customer_ids, guest_adds_201, guests.
WITH touched AS (
    SELECT c.* FROM carts_cart c
    WHERE c.updated_at >= %(since)s AND (c.customer_id = ANY(%(customer_ids)s) OR c.guest_id IS NOT NULL)
), live AS (
    SELECT i.* FROM carts_cartitem i JOIN touched t ON t.id = i.cart_id WHERE i.deleted_at IS NULL
)
SELECT 'every cart total = the sum of its lines',
       count(*) = 0,
       count(*) || ' carts off'
FROM touched t
WHERE t.total_amount <> coalesce((SELECT sum(l.total_price) FROM live l WHERE l.cart_id = t.id), 0)
UNION ALL
SELECT 'every line at the catalogue price, 1 to 99 units',
       count(*) = 0,
       count(*) || ' lines off'
FROM live l JOIN catalog_productvariant v ON v.id = l.variant_id
WHERE l.unit_price <> v.price OR l.quantity NOT BETWEEN 1 AND 99
UNION ALL
SELECT 'one active cart per owner',
       count(*) = 0,
       count(*) || ' owners with more'
FROM (
    SELECT coalesce('c' || customer_id, 'g' || guest_id) AS owner FROM carts_cart
    WHERE status = 'active' AND deleted_at IS NULL AND (customer_id = ANY(%(customer_ids)s) OR guest_id IS NOT NULL)
    GROUP BY 1 HAVING count(*) > 1
) more
UNION ALL
SELECT 'a guest cart per visitor who added (none made for a read)',
       count(*) <= %(guests)s AND count(*) > 0,
       count(*) || ' guest carts made, ' || %(guests)s || ' visitors'
FROM carts_cart WHERE guest_id IS NOT NULL AND created_at >= %(since)s;
