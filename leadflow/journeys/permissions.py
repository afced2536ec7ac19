from django.utils.translation import gettext_lazy as _

from leadflow.core.permissions import permission

JOURNEYS_MANAGE = permission("journeys.manage", _("Build, start and pause automation journeys"))
