-- Business cards, each with a public page at /c/{slug}.
--
-- Slugs are unique by a named constraint and drawn inside the inserting
-- statement (create_business_card), so two people creating "My Card" at the
-- same moment both succeed with different slugs. Updates and deletes are
-- version checked by the application (WHERE id AND owner AND version).

-- Words that are routes or could be mistaken for them; never handed out as
-- slugs, not even when asked for explicitly (the CHECK below).
CREATE FUNCTION is_reserved_slug(p_slug text) RETURNS boolean
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT p_slug = ANY (ARRAY[
        'new', 'edit', 'api', 'admin', 'login', 'logout', 'signup', 'account',
        'cards', 'c', 'profile', 'staff', 'settings', 'static', 'pkg', 'assets',
        'healthz', 'readyz', 'sfn', 'help', 'about', 'www', 'root', 'null', 'undefined'
    ])
$$;

CREATE TABLE business_cards (
    id           uuid        NOT NULL DEFAULT gen_random_uuid(),
    owner_id     uuid        NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    name         text        NOT NULL,
    slug         text        NOT NULL,
    template     text        NOT NULL DEFAULT 'classic',
    full_name    text        NOT NULL DEFAULT '',
    job_title    text        NOT NULL DEFAULT '',
    company      text        NOT NULL DEFAULT '',
    email        text        NOT NULL DEFAULT '',
    phone        text        NOT NULL DEFAULT '',
    website      text        NOT NULL DEFAULT '',
    address      text        NOT NULL DEFAULT '',
    tagline      text        NOT NULL DEFAULT '',
    accent_color text        NOT NULL DEFAULT '#2563eb',
    layout       text        NOT NULL DEFAULT 'left',
    version      integer     NOT NULL DEFAULT 1,
    created_at   timestamptz NOT NULL DEFAULT now(),
    updated_at   timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT business_cards_pkey PRIMARY KEY (id),
    CONSTRAINT business_cards_slug_key UNIQUE (slug),
    CONSTRAINT business_cards_slug_shape
        CHECK (slug ~ '^[a-z0-9]+(-[a-z0-9]+)*$' AND length(slug) <= 60 AND NOT is_reserved_slug(slug)),
    CONSTRAINT business_cards_name_length CHECK (length(name) BETWEEN 1 AND 100),
    CONSTRAINT business_cards_template_check CHECK (template IN ('classic', 'modern', 'bold')),
    CONSTRAINT business_cards_layout_check CHECK (layout IN ('left', 'center')),
    CONSTRAINT business_cards_accent_color_shape CHECK (accent_color ~ '^#[0-9a-f]{6}$'),
    CONSTRAINT business_cards_version_positive CHECK (version >= 1)
);

CREATE INDEX business_cards_owner ON business_cards (owner_id, created_at DESC);

-- Six random lowercase letters and digits.
CREATE FUNCTION random_slug_suffix() RETURNS text
LANGUAGE sql VOLATILE AS $$
    SELECT string_agg(substr('abcdefghijklmnopqrstuvwxyz0123456789', 1 + floor(random() * 36)::int, 1), '')
    FROM generate_series(1, 6)
$$;

-- Inserts a card with the first free slug among p_base_slug (unless reserved)
-- and p_base_slug-XXXXXX with random suffixes, in one round trip.
--
-- INSERT .. ON CONFLICT DO NOTHING is the whole trick: when another open
-- transaction holds the same slug it waits for it; if that one commits we
-- draw again, if it rolls back we get the slug. Raises LS001 when every
-- attempt collided.
CREATE FUNCTION create_business_card(
    p_owner_id uuid,
    p_base_slug text,
    p_card jsonb,
    p_max_attempts integer DEFAULT 8
) RETURNS SETOF business_cards
LANGUAGE plpgsql AS $$
DECLARE
    v_base text := left(p_base_slug, 53);
    v_candidate text;
    v_card business_cards;
BEGIN
    IF p_base_slug !~ '^[a-z0-9]+(-[a-z0-9]+)*$' OR length(p_base_slug) > 60 THEN
        RAISE EXCEPTION 'not a slug: %', p_base_slug USING ERRCODE = '22023';
    END IF;
    v_base := rtrim(v_base, '-');
    FOR attempt IN 1 .. p_max_attempts LOOP
        IF attempt = 1 AND NOT is_reserved_slug(p_base_slug) THEN
            v_candidate := p_base_slug;
        ELSE
            v_candidate := v_base || '-' || random_slug_suffix();
        END IF;
        INSERT INTO business_cards (
            owner_id, name, slug, template, full_name, job_title, company, email, phone,
            website, address, tagline, accent_color, layout
        )
        VALUES (
            p_owner_id, p_card->>'name', v_candidate, p_card->>'template',
            p_card->>'full_name', p_card->>'job_title', p_card->>'company', p_card->>'email',
            p_card->>'phone', p_card->>'website', p_card->>'address', p_card->>'tagline',
            p_card->>'accent_color', p_card->>'layout'
        )
        ON CONFLICT ON CONSTRAINT business_cards_slug_key DO NOTHING
        RETURNING * INTO v_card;
        IF FOUND THEN
            RETURN NEXT v_card;
            RETURN;
        END IF;
    END LOOP;
    RAISE EXCEPTION 'no free slug for "%" after % attempts', p_base_slug, p_max_attempts
        USING ERRCODE = 'LS001';
END
$$;
