import pytest
from django.db import IntegrityError, transaction

from orgdesk.accounts.models import Account
from orgdesk.activity.models import Event
from orgdesk.organizations.actions import (
    TreeError,
    move_organization,
    rename_organization,
    resolve_organization,
    set_hierarchy_uniqueness,
)
from orgdesk.organizations.models import Organization
from orgdesk.testing.actors import SYSTEM
from tests.factories import make_account, make_org

pytestmark = pytest.mark.django_db


def fresh(org):
    return Organization.objects.get(pk=org.pk)


def test_paths_routes_and_depths(tree):
    assert tree.acme.path == f"/{tree.acme.key}/"
    assert tree.france.path == f"/{tree.acme.key}/{tree.emea.key}/{tree.france.key}/"
    assert tree.france.route == "Acme / EMEA / France"
    assert (tree.acme.depth, tree.emea.depth, tree.france.depth) == (0, 1, 2)
    assert tree.france.root_id == tree.acme.id == tree.acme.root_id
    assert set(tree.emea.subtree()) == {tree.emea, tree.france, tree.germany}
    assert list(tree.france.ancestors()) == [tree.acme, tree.emea]


def test_move_rewrites_the_whole_subtree(tree):
    store = make_org("Paris store", tree.france)
    move_organization(actor=SYSTEM, organization=tree.emea, new_parent=tree.americas)
    emea, france, paris = fresh(tree.emea), fresh(tree.france), fresh(store)
    assert emea.parent_id == tree.americas.id
    assert emea.route == "Acme / Americas / EMEA"
    assert france.route == "Acme / Americas / EMEA / France"
    assert paris.route == "Acme / Americas / EMEA / France / Paris store"
    assert paris.path == f"{tree.americas.path}{emea.key}/{france.key}/{paris.key}/"
    assert (emea.depth, france.depth, paris.depth) == (2, 3, 4)
    # siblings and other trees untouched
    assert fresh(tree.germany).route == "Acme / Americas / EMEA / Germany"
    assert fresh(tree.globex_eu).route == "Globex / Europe"
    assert Event.objects.filter(type="organization.moved", organization=emea).exists()


def test_move_to_root_and_into_another_tree_changes_identity_store(tree):
    account = make_account(tree.france, email="anna@example.com")
    assert account.store == tree.acme.id
    move_organization(actor=SYSTEM, organization=tree.emea, new_parent=tree.globex)
    account.refresh_from_db()
    assert account.store == tree.globex.id
    assert fresh(tree.france).root_id == tree.globex.id
    assert fresh(tree.france).route == "Globex / EMEA / France"

    move_organization(actor=SYSTEM, organization=tree.emea, new_parent=None)
    emea = fresh(tree.emea)
    assert (emea.route, emea.depth, emea.root_id, emea.parent_id) == ("EMEA", 0, emea.id, None)
    account.refresh_from_db()
    assert account.store == emea.id
    assert fresh(tree.france).path == f"/{emea.key}/{tree.france.key}/"


def test_move_under_own_descendant_is_refused(tree):
    with pytest.raises(TreeError, match="under itself"):
        move_organization(actor=SYSTEM, organization=tree.emea, new_parent=tree.france)
    with pytest.raises(TreeError):
        move_organization(actor=SYSTEM, organization=tree.emea, new_parent=tree.emea)
    assert fresh(tree.france).route == "Acme / EMEA / France"


def test_move_with_identifier_clash_changes_nothing(tree):
    make_account(tree.france, email="Same@Example.com")
    make_account(tree.globex_eu, email="same@example.com")
    before = list(Organization.objects.order_by("id").values_list("id", "path", "route"))
    with pytest.raises(TreeError, match="already exist"):
        move_organization(actor=SYSTEM, organization=tree.emea, new_parent=tree.globex)
    after = list(Organization.objects.order_by("id").values_list("id", "path", "route"))
    assert before == after
    assert set(Account.objects.values_list("store", flat=True)) == {tree.acme.id, tree.globex.id}
    assert not Event.objects.filter(type="organization.moved").exists()


def test_depth_limit(db):
    org = make_org("L0")
    chain = [org]
    from orgdesk.organizations.models import MAX_DEPTH

    for i in range(1, MAX_DEPTH):
        chain.append(make_org(f"L{i}", chain[-1]))
    with pytest.raises(TreeError, match="levels deep"):
        make_org("too deep", chain[-1])
    other = make_org("Other")
    child = make_org("Child", other)
    with pytest.raises(TreeError, match="levels deep"):
        move_organization(actor=SYSTEM, organization=other, new_parent=chain[-2])
    assert fresh(child).route == "Other / Child"


def test_rename_rewrites_descendant_routes(tree):
    rename_organization(actor=SYSTEM, organization=tree.emea, name="Europe")
    assert fresh(tree.emea).route == "Acme / Europe"
    assert fresh(tree.france).route == "Acme / Europe / France"
    assert fresh(tree.americas).route == "Acme / Americas"
    rename_organization(actor=SYSTEM, organization=tree.acme, name="Acme Corp")
    assert fresh(tree.france).route == "Acme Corp / Europe / France"


@pytest.mark.parametrize("bad", ["", "   ", "A / B", "x" * 201])
def test_bad_names_are_refused(tree, bad):
    with pytest.raises(TreeError):
        make_org(bad, tree.acme)


def test_sibling_slugs_unique_case_insensitively(tree):
    with pytest.raises(TreeError, match="slug"):
        make_org("france", tree.emea)
    make_org("France", tree.americas)  # same name elsewhere in the tree is fine


def test_database_refuses_duplicate_path(tree):
    clone = Organization(
        name="Clone",
        slug="clone",
        parent=tree.emea,
        path=tree.france.path,
        route="x",
        depth=2,
        application=tree.acme.application,
        root_id=tree.acme.id,
    )
    with pytest.raises(IntegrityError), transaction.atomic():
        clone.save()


def test_resolve_by_id_key_and_route(tree):
    assert resolve_organization(str(tree.france.id)) == tree.france
    assert resolve_organization(tree.france.key) == tree.france
    assert resolve_organization("Acme / EMEA / France") == tree.france
    assert resolve_organization("acme/emea/france") == tree.france
    with pytest.raises(TreeError, match="No organization"):
        resolve_organization("Acme / Nowhere")


def test_switching_hierarchy_uniqueness(tree):
    make_account(tree.france, email="dup@example.com")
    set_hierarchy_uniqueness(actor=SYSTEM, root=tree.acme, enabled=False)
    make_account(tree.germany, email="dup@example.com")  # allowed: stores are per organization
    assert set(Account.objects.filter(email="dup@example.com").values_list("store", flat=True)) == {
        tree.france.id,
        tree.germany.id,
    }
    with pytest.raises(TreeError, match="share identifiers"):
        set_hierarchy_uniqueness(actor=SYSTEM, root=tree.acme, enabled=True)
    assert fresh(tree.acme).hierarchy_unique_identifiers is False
    with pytest.raises(TreeError, match="root"):
        set_hierarchy_uniqueness(actor=SYSTEM, root=tree.emea, enabled=True)
