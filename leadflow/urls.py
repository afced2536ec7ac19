from django.urls import include, path
from ninja.openapi.views import openapi_view

from leadflow.accounts import views as accounts
from leadflow.analytics import views as analytics
from leadflow.api import api
from leadflow.approvals import views as approvals
from leadflow.core import views as core
from leadflow.customers import views as customers
from leadflow.leads import views as leads
from leadflow.mailing import views as mailing
from leadflow.marketing import views as marketing
from leadflow.notify import views as notify
from leadflow.sales import views as sales
from leadflow.service import views as service
from leadflow.web import views as web

handler403 = "leadflow.web.views.forbidden"
handler404 = "leadflow.web.views.not_found"
handler500 = "leadflow.web.views.server_error"

urlpatterns = [
    # First: integrations call the API hundreds of times a second, and Django tries the
    # patterns in order.
    path("api/v1/", api.urls),
    path("", web.home, name="home"),
    path("soon/<slug:area>/", web.coming_soon, name="coming_soon"),
    path("login/", accounts.login_view, name="login"),
    path("logout/", accounts.logout_view, name="logout"),
    path("agreement/", accounts.agreement_view, name="agreement"),
    path("profile/", accounts.profile_view, name="profile"),
    path("profile/tokens/<int:token_id>/revoke/", accounts.token_revoke_view, name="token_revoke"),
    path("approvals/", approvals.approvals_page, name="approvals"),
    path("approvals/<int:approval_id>/", approvals.approval_page, name="approval"),
    path(
        "approvals/<int:approval_id>/decide/",
        approvals.approval_decide_view,
        name="approval_decide",
    ),
    path(
        "approvals/<int:approval_id>/withdraw/",
        approvals.approval_withdraw_view,
        name="approval_withdraw",
    ),
    path(
        "approvals/<int:approval_id>/resubmit/",
        approvals.approval_resubmit_view,
        name="approval_resubmit",
    ),
    path("approvals/<int:approval_id>/add/", approvals.approval_add_view, name="approval_add"),
    path("approvals/<int:approval_id>/copy/", approvals.approval_copy_view, name="approval_copy"),
    path("approvals/delegation/", approvals.delegation_page, name="approval_delegation"),
    path("approvals/flows/", approvals.flows_page, name="approval_flows"),
    path("approvals/flows/<int:flow_id>/", approvals.flow_page, name="approval_flow"),
    path("sales/contracts/", sales.contracts_page, name="contracts"),
    path("sales/contracts/new/", sales.contract_new, name="contract_new"),
    path("sales/contracts/<int:contract_id>/", sales.contract_page, name="contract"),
    path("sales/contracts/<int:contract_id>/edit/", sales.contract_edit, name="contract_edit"),
    path("sales/contracts/<int:contract_id>/print/", sales.contract_print, name="contract_print"),
    path(
        "sales/contracts/<int:contract_id>/<slug:action>/",
        sales.contract_action,
        name="contract_action",
    ),
    path("sales/receivables/", sales.receivables_page, name="receivables"),
    path("sales/targets/", sales.targets_page, name="sales_targets"),
    path("marketing/campaigns/", marketing.campaigns_page, name="campaigns"),
    path("marketing/campaigns/new/", marketing.campaign_new, name="campaign_new"),
    path("marketing/campaigns/<int:campaign_id>/", marketing.campaign_page, name="campaign"),
    path(
        "marketing/campaigns/<int:campaign_id>/edit/", marketing.campaign_edit, name="campaign_edit"
    ),
    path(
        "marketing/campaigns/<int:campaign_id>/<slug:action>/",
        marketing.campaign_action,
        name="campaign_action",
    ),
    path(
        "marketing/campaigns/<int:campaign_id>/tasks/<int:task_id>/done/",
        marketing.campaign_task_done,
        name="campaign_task_done",
    ),
    path("marketing/calendar/", marketing.campaign_calendar, name="campaign_calendar"),
    path("marketing/claims/", marketing.claims_page, name="claims"),
    path("marketing/claims/<int:claim_id>/", marketing.claim_page, name="claim"),
    path(
        "marketing/claims/<int:claim_id>/receipts/<int:receipt_id>/",
        marketing.claim_receipt,
        name="claim_receipt",
    ),
    path("marketing/budgets/", marketing.budgets_page, name="budgets"),
    path("marketing/research/", marketing.research_page, name="research"),
    path(
        "marketing/research/plans/<int:plan_id>/submit/",
        marketing.research_plan_submit_view,
        name="research_plan_submit",
    ),
    path(
        "marketing/research/questionnaires/new/",
        marketing.questionnaire_new,
        name="questionnaire_new",
    ),
    path(
        "marketing/research/questionnaires/<int:questionnaire_id>/",
        marketing.questionnaire_page,
        name="questionnaire",
    ),
    path(
        "marketing/research/questionnaires/<int:questionnaire_id>/fill/",
        marketing.questionnaire_fill,
        name="questionnaire_fill",
    ),
    path(
        "marketing/research/reports/<int:report_id>/",
        marketing.research_report_page,
        name="research_report",
    ),
    path("s/<slug:key>", marketing.public_survey, name="public_survey"),
    path("marketing/analysis/", marketing.analysis_page, name="marketing_analysis"),
    path("notifications/", notify.notifications_page, name="notifications"),
    path("notifications/bell/", notify.bell, name="bell"),
    path("notifications/read/", notify.mark_read, name="notifications_read"),
    path("admin/users/", accounts.users_page, name="users"),
    path("admin/users/new/", accounts.user_new, name="user_new"),
    path("admin/users/<int:user_id>/", accounts.user_edit, name="user_edit"),
    path("admin/users/<int:user_id>/<slug:action>/", accounts.user_action, name="user_action"),
    path("admin/org/", accounts.org_page, name="org"),
    path(
        "admin/org/departments/<int:department_id>/",
        accounts.department_edit,
        name="department_edit",
    ),
    path("admin/org/teams/<int:team_id>/", accounts.team_edit, name="team_edit"),
    path("admin/roles/", accounts.roles_page, name="roles"),
    path("admin/roles/new/", accounts.role_edit, name="role_new"),
    path("admin/roles/<int:role_id>/", accounts.role_edit, name="role_edit"),
    path("admin/settings/", core.settings_page, name="settings"),
    path("admin/holidays/", core.holidays_page, name="holidays"),
    path("admin/holidays/<str:day>/delete/", core.holiday_delete, name="holiday_delete"),
    path("admin/audit/", core.audit_page, name="audit"),
    path("admin/robots/", notify.robots_page, name="robots"),
    path("admin/robots/<int:robot_id>/", notify.robot_edit, name="robot_edit"),
    path("admin/deliveries/", notify.deliveries_page, name="deliveries"),
    path("leads/", leads.leads_page, name="leads"),
    path("leads/new/", leads.lead_new, name="lead_new"),
    path("leads/<int:lead_id>/", leads.lead_page, name="lead"),
    path("leads/<int:lead_id>/verify/", leads.lead_verify_view, name="lead_verify"),
    path("leads/<int:lead_id>/events/", leads.lead_event_view, name="lead_event"),
    path("leads/<int:lead_id>/accept/", leads.lead_accept_view, name="lead_accept"),
    path("leads/<int:lead_id>/decline/", leads.lead_decline_view, name="lead_decline"),
    path("leads/<int:lead_id>/assign/", leads.lead_assign_view, name="lead_assign"),
    path(
        "leads/<int:lead_id>/reassign-request/",
        leads.lead_reassign_request_view,
        name="lead_reassign_request",
    ),
    path("leads/inbox/", leads.inbox_page, name="lead_inbox"),
    path("leads/<int:lead_id>/follow-ups/", leads.lead_followup_view, name="lead_followup"),
    path("leads/<int:lead_id>/stage/", leads.lead_stage_view, name="lead_stage"),
    path("leads/followups/", leads.followups_page, name="followups"),
    path("leads/pool/", leads.pool_page, name="lead_pool"),
    path("leads/<int:lead_id>/claim/", leads.lead_claim_view, name="lead_claim"),
    path("leads/board/", leads.stage_board, name="stage_board"),
    path("leads/supervision/", leads.supervision_page, name="supervision"),
    path("leads/assignment/", leads.assignment_board, name="assignment_board"),
    path("leads/assignment/reps/<int:user_id>/", leads.rep_profile_page, name="rep_profile"),
    path("leads/assignment/teams/<int:team_id>/", leads.team_profile_page, name="team_profile"),
    path("leads/<int:lead_id>/priority/", leads.lead_priority_view, name="lead_priority"),
    path("leads/merges/", leads.merges_page, name="lead_merges"),
    path("leads/merges/<int:merge_id>/undo/", leads.merge_undo_view, name="lead_merge_undo"),
    path("leads/import/", leads.import_page, name="lead_import"),
    path("leads/import/template.csv", leads.import_template, name="lead_import_template"),
    path("leads/import/<int:batch_id>/", leads.import_batch_page, name="lead_import_batch"),
    path("leads/import/<int:batch_id>/errors/", leads.import_errors, name="lead_import_errors"),
    path("leads/settings/", leads.lead_settings_page, name="lead_settings"),
    path("leads/scoring/", leads.score_rules_page, name="score_rules"),
    path("f/<slug:key>", leads.public_form, name="public_form"),
    path("analytics/", analytics.dashboard, name="analytics"),
    path("analytics/performance/", analytics.performance_page, name="performance"),
    path("service/tickets/", service.tickets_page, name="tickets"),
    path("service/tickets/new/", service.ticket_new, name="ticket_new"),
    path("service/tickets/<int:ticket_id>/", service.ticket_page, name="ticket"),
    path(
        "service/tickets/<int:ticket_id>/attachments/<int:attachment_id>/",
        service.ticket_attachment,
        name="ticket_attachment",
    ),
    path(
        "service/tickets/<int:ticket_id>/<slug:action>/",
        service.ticket_action,
        name="ticket_action",
    ),
    path("service/improvements/", service.improvements_page, name="service_improvements"),
    path("service/reports/", service.reports_page, name="service_reports"),
    path("service/settings/", service.options_page, name="service_options"),
    path("service/form/", service.public_form, name="service_form"),
    path("t/o/<str:token>.gif", mailing.open_pixel, name="email_open"),
    path("t/c/<str:signed>", mailing.click, name="email_click"),
    path("u/<str:token>/", mailing.unsubscribe_page, name="email_unsubscribe"),
    path("service/survey/<str:token>/", service.public_survey, name="service_survey"),
    path("customers/", customers.customers_page, name="customers"),
    path("customers/new/", customers.customer_new, name="customer_new"),
    path("customers/cadence/", customers.cadence_page, name="customer_cadence"),
    path("customers/grades/", customers.grade_review_page, name="customer_grades"),
    path("customers/access/", customers.access_page, name="customer_access"),
    path("customers/review/", customers.data_review_page, name="customer_review"),
    path("customers/import/", customers.import_page, name="customer_import"),
    path(
        "customers/import/template.csv",
        customers.import_template,
        name="customer_import_template",
    ),
    path(
        "customers/import/<int:batch_id>/",
        customers.import_batch_page,
        name="customer_import_batch",
    ),
    path(
        "customers/<int:customer_id>/contacts/<int:contact_id>/reveal/",
        customers.contact_reveal_view,
        name="customer_contact_reveal",
    ),
    path("customers/<int:customer_id>/team/", customers.team_add_view, name="customer_team_add"),
    path(
        "customers/<int:customer_id>/team/<int:member_id>/remove/",
        customers.team_remove_view,
        name="customer_team_remove",
    ),
    path("customers/<int:customer_id>/shares/", customers.share_view, name="customer_share"),
    path(
        "customers/<int:customer_id>/shares/<int:share_id>/revoke/",
        customers.share_revoke_view,
        name="customer_share_revoke",
    ),
    path(
        "customers/<int:customer_id>/interactions/",
        customers.interaction_view,
        name="customer_interaction",
    ),
    path("customers/<int:customer_id>/", customers.customer_page, name="customer"),
    path(
        "customers/<int:customer_id>/contacts/",
        customers.contact_add_view,
        name="customer_contact_add",
    ),
    path("customers/<int:customer_id>/deals/", sales.customer_deals, name="customer_deals"),
    path(
        "customers/<int:customer_id>/lead-history/",
        leads.customer_lead_history,
        name="customer_lead_history",
    ),
    path("healthz", core.healthz, name="healthz"),
    path("api/docs", lambda request: openapi_view(request, api), name="api_docs"),
    path("i18n/", include("django.conf.urls.i18n")),
]
