-- 0.4.0's rights check and models/deployments policies (see benches/policies_0.3.0.sql).
CREATE OR REPLACE FUNCTION pgml.project_allows(owner text, acl jsonb, privilege text) RETURNS boolean
    STABLE PARALLEL SAFE LANGUAGE c AS '$libdir/pgml', 'project_allows_wrapper';
ALTER POLICY models_visible ON pgml.models USING (pgml.project_visible(project_id));
ALTER POLICY deployments_visible ON pgml.deployments USING (pgml.project_visible(project_id));
