SELECT o.id, o.total FROM orders o WHERE o.customer_id = 42 AND o.status IN ('new', 'paid', E'it\'s') AND created > now() - interval '1 day' -- recent
