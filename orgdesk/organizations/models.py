"""Applications and the organization tree."""

import uuid

from django.db import models
from django.db.models.functions import Lower
from django.utils.translation import gettext_lazy as _

from orgdesk.core.ids import new_key
from orgdesk.core.models import BaseModel

PATH_SEPARATOR = "/"


def lineage_paths(path: str) -> list[str]:
    """The materialized paths of an organization (`path`) and of every organization above it,
    root first: `/a/b/c/` → ['/a/', '/a/b/', '/a/b/c/']. The one definition of an
    organization's lineage."""
    keys = [key for key in path.split(PATH_SEPARATOR) if key]
    return [
        PATH_SEPARATOR + PATH_SEPARATOR.join(keys[: i + 1]) + PATH_SEPARATOR
        for i in range(len(keys))
    ]


ROUTE_SEPARATOR = " / "
MAX_DEPTH = 12

PORTAL_CLIENT_ID = "organization-portal"


class Application(BaseModel):
    class Kind(models.TextChoices):
        PORTAL = "portal", _("Organization portal")
        WEB = "web", _("Web application")
        SPA = "spa", _("Single-page application")
        NATIVE = "native", _("Native application")
        SERVICE = "service", _("Machine to machine")

    name = models.CharField(_("name"), max_length=200)
    client_id = models.SlugField(_("client ID"), max_length=100, unique=True)
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices, default=Kind.WEB)
    builtin = models.BooleanField(_("built in"), default=False)
    redirect_uris = models.JSONField(_("redirect URIs"), default=list, blank=True)
    # Auth0's "organizations" setting of an application: whether organizations (and their
    # members) sign in through it. An application stays on while an organization uses it
    # (organizations/applications.py).
    organizations_enabled = models.BooleanField(_("organizations enabled"), default=True)
    branding_policy = models.ForeignKey(
        "branding.BrandingPolicy",
        verbose_name=_("branding policy"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="applications",
    )

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Organization(BaseModel):
    """A node of an organization tree.

    `path` is the materialized path of short keys (`/r7k2.../a3.../`) used for subtree queries
    with a prefix match; `route` is the display path ("Acme / EMEA / France"). Both are
    rewritten for the whole subtree by organizations.actions when a node moves or is renamed.
    The tree's root is the identity-store tenant: `root` points at it (itself for a root).
    """

    # Path to the owning organization, for restrict() (access/scoping.py).
    TENANT_FIELD = ""

    key = models.CharField(max_length=16, unique=True, default=new_key, editable=False)
    name = models.CharField(_("name"), max_length=200)
    slug = models.SlugField(_("slug"), max_length=100)
    parent = models.ForeignKey(
        "self",
        verbose_name=_("parent"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="children",
    )
    root = models.ForeignKey(
        "self",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        editable=False,
    )
    path = models.CharField(max_length=255, editable=False)
    route = models.CharField(max_length=2000, editable=False)
    depth = models.PositiveSmallIntegerField(default=0, editable=False)
    application = models.ForeignKey(
        Application,
        verbose_name=_("application"),
        on_delete=models.PROTECT,
        related_name="organizations",
    )
    # Only read on a root: identifiers unique across the whole tree, which is what makes a
    # single search across the hierarchy meaningful.
    hierarchy_unique_identifiers = models.BooleanField(
        _("identifiers unique across the hierarchy"), default=True
    )

    class Meta:
        ordering = ["path"]
        constraints = [
            models.UniqueConstraint(fields=["path"], name="organization_path_unique"),
            models.UniqueConstraint(
                "parent", Lower("slug"), name="organization_slug_unique_per_parent"
            ),
            models.UniqueConstraint(
                Lower("slug"),
                condition=models.Q(parent__isnull=True),
                name="organization_root_slug_unique",
            ),
            models.CheckConstraint(
                condition=models.Q(depth__gte=0) & models.Q(depth__lt=MAX_DEPTH),
                name="organization_depth_range",
            ),
        ]
        indexes = [
            models.Index(fields=["root", "path"], name="organization_root_path"),
            models.Index(Lower("route"), name="organization_route_lower"),
        ]

    def __str__(self) -> str:
        return self.route or self.name

    @property
    def is_root(self) -> bool:
        return self.parent_id is None

    @property
    def identity_store_id(self) -> uuid.UUID | None:
        """The scope in which this organization's account identifiers must be unique."""
        return self.root_id if self.root_hierarchy_unique() else self.id

    def root_hierarchy_unique(self) -> bool:
        if self.parent_id is None:
            return self.hierarchy_unique_identifiers
        assert self.root_id is not None, "an organization under a parent has its tree's root"
        return Organization.objects.values_list("hierarchy_unique_identifiers", flat=True).get(
            pk=self.root_id
        )

    def subtree(self) -> models.QuerySet["Organization"]:
        return Organization.objects.filter(path__startswith=self.path)

    def lineage(self) -> models.QuerySet["Organization"]:
        """This organization and those above it, root first."""
        return Organization.objects.filter(path__in=lineage_paths(self.path)).order_by("depth")

    def ancestors(self) -> models.QuerySet["Organization"]:
        return self.lineage().exclude(pk=self.pk)
