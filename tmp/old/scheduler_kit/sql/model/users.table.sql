-- The application's users, as the seed's admin check reads them (target postgres only; Supabase projects have their own).
CREATE TABLE IF NOT EXISTS public.users (
  id            uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  clerk_user_id text NOT NULL,
  email         text,
  role          text NOT NULL DEFAULT 'user',
  created_at    timestamptz NOT NULL DEFAULT now()
);
-- The admin check looks users up by clerk_user_id once per statement.
CREATE UNIQUE INDEX IF NOT EXISTS users_clerk_user_id_key ON public.users (clerk_user_id);
