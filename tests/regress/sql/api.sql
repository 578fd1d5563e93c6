-- The public SQL surface: every function in the pgml schema with its arguments, result,
-- volatility and parallel safety. A change here is a change to the API users see.
SELECT p.proname, pg_get_function_identity_arguments(p.oid) AS arguments,
       pg_get_function_result(p.oid) AS result, p.provolatile AS volatility, p.proparallel AS parallel
  FROM pg_proc p
 WHERE p.pronamespace = 'pgml'::regnamespace AND p.proname NOT LIKE '\_%'
 ORDER BY 1, 2;

SELECT t.typname, array_agg(e.enumlabel ORDER BY e.enumsortorder) AS labels
  FROM pg_type t JOIN pg_enum e ON e.enumtypid = t.oid
 WHERE t.typnamespace = 'pgml'::regnamespace AND t.typname <> 'algorithm'
 GROUP BY 1 ORDER BY 1;

SELECT c.relname, c.relkind FROM pg_class c
 WHERE c.relnamespace = 'pgml'::regnamespace AND c.relkind IN ('r', 'v')
 ORDER BY 1;
