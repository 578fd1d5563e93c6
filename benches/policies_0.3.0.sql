-- 0.3.0's rights check and models/deployments policies, for A/B measurements against 0.4.0's on one server
-- (docs/benchmarks.md, "After the dashboard policies"). Run as a superuser: psql -f benches/policies_0.3.0.sql; put
-- 0.4.0's back with benches/policies_0.4.0.sql. Never on a server people use.
CREATE OR REPLACE FUNCTION pgml.project_allows(owner text, acl jsonb, privilege text) RETURNS boolean
LANGUAGE sql STABLE PARALLEL SAFE SET search_path = pg_catalog, pg_temp AS $$
    SELECT coalesce(pg_has_role(to_regrole(quote_ident(owner)), 'USAGE'), false)
        OR coalesce(pg_has_role((SELECT extowner FROM pg_extension WHERE extname = 'pgml'), 'USAGE'), false)
        OR EXISTS (SELECT 1 FROM jsonb_each(acl) AS g(grantee, privileges)
                    WHERE jsonb_typeof(g.privileges) = 'array'
                      AND (privilege = 'any' OR g.privileges ? privilege)
                      AND (g.grantee = 'public'
                           OR coalesce(pg_has_role(to_regrole(quote_ident(g.grantee)), 'USAGE'), false)))
$$;
ALTER POLICY models_visible ON pgml.models USING (EXISTS (SELECT 1 FROM pgml.projects p WHERE p.id = project_id));
ALTER POLICY deployments_visible ON pgml.deployments USING (EXISTS (SELECT 1 FROM pgml.projects p WHERE p.id = project_id));
