from django import forms
from django.contrib import admin, messages
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.db.models import QuerySet
from django.http import HttpRequest
from django.template import engines
from django.template.response import TemplateResponse
from django.utils import timezone

from fittingroom.accounts.api_keys import api_key_create, api_key_revoke
from fittingroom.accounts.models import Account, ApiKey, CreditLedgerEntry
from fittingroom.accounts.services import account_credit_grant
from fittingroom.core.admin import ReadOnlyModelAdmin

MAX_GRANT = 1_000_000

# The intermediate page of "Grant credits", in the admin's layout.
_GRANT_PAGE = """{% extends "admin/base_site.html" %}
{% block content %}
<p>Grant credits to:</p>
<ul>{% for account in accounts %}<li>{{ account }} ({{ account.credit_balance }} credits)</li>
{% endfor %}</ul>
<form method="post">{% csrf_token %}
  {{ form.as_p }}
  {% for account in accounts %}
  <input type="hidden" name="{{ action_checkbox_name }}" value="{{ account.pk }}">
  {% endfor %}
  <input type="hidden" name="action" value="grant_credits">
  <input type="submit" name="apply" value="Grant">
</form>
{% endblock %}"""


class CreditGrantForm(forms.Form):
    amount = forms.IntegerField(
        min_value=-MAX_GRANT,
        max_value=MAX_GRANT,
        help_text="Credits to add to each selected account (negative to take some back).",
    )
    note = forms.CharField(max_length=200, help_text="Why, for the ledger.")

    def clean_amount(self) -> int:
        if self.cleaned_data["amount"] == 0:
            raise forms.ValidationError("Give a non-zero amount.")
        return self.cleaned_data["amount"]


@admin.register(Account)
class AccountAdmin(admin.ModelAdmin):
    list_display = (
        "name",
        "kind",
        "engine",
        "credit_balance",
        "period_usage",
        "quota_period_end",
        "created_at",
    )
    list_filter = ("kind", "engine")
    search_fields = ("id", "name")
    # The balance moves only with a ledger entry: through the "Grant credits" action.
    readonly_fields = ("id", "credit_balance", "created_at")
    actions = ["grant_credits"]

    @admin.display(description="Used this period / quota")
    def period_usage(self, obj: Account) -> str:
        running = obj.quota_period_end is not None and obj.quota_period_end > timezone.now()
        used = obj.quota_used if running else 0
        return f"{used} / {'no quota' if obj.quota_limit is None else obj.quota_limit}"

    @admin.action(description="Grant credits to the selected accounts…", permissions=["change"])
    def grant_credits(
        self, request: HttpRequest, queryset: QuerySet[Account]
    ) -> TemplateResponse | None:
        form = CreditGrantForm(request.POST if "apply" in request.POST else None)
        if form.is_bound and form.is_valid():
            amount, note = form.cleaned_data["amount"], form.cleaned_data["note"]
            for account in queryset:
                account_credit_grant(
                    account=account, amount=amount, note=f"{note} (by {request.user})"
                )
            self.message_user(
                request, f"Granted {amount:+d} credits to {len(queryset)} account(s)."
            )
            return None
        context = {
            **self.admin_site.each_context(request),
            "title": "Grant credits",
            "opts": self.model._meta,
            "form": form,
            "accounts": queryset,
            "action_checkbox_name": ACTION_CHECKBOX_NAME,
        }
        return TemplateResponse(request, engines["django"].from_string(_GRANT_PAGE), context)


class ApiKeyAddForm(forms.ModelForm):
    class Meta:
        model = ApiKey
        fields = ("account", "name")


@admin.register(ApiKey)
class ApiKeyAdmin(admin.ModelAdmin):
    """Adding a key generates it and shows it once, in a message; only its hash is stored."""

    list_display = ("prefix", "name", "account", "created_at", "last_used_at", "revoked_at")
    list_filter = (("revoked_at", admin.EmptyFieldListFilter),)
    search_fields = ("prefix", "name", "account__name")
    list_select_related = ("account",)
    actions = ["revoke"]
    add_form = ApiKeyAddForm

    def get_form(self, request: HttpRequest, obj: ApiKey | None = None, **kwargs: object):
        if obj is None:
            kwargs["form"] = self.add_form
        return super().get_form(request, obj, **kwargs)

    def get_fields(self, request: HttpRequest, obj: ApiKey | None = None) -> tuple[str, ...]:
        if obj is None:
            return ("account", "name")
        return ("account", "name", "prefix", "created_at", "last_used_at", "revoked_at")

    def get_readonly_fields(
        self, request: HttpRequest, obj: ApiKey | None = None
    ) -> tuple[str, ...]:
        if obj is None:
            return ()
        return ("account", "prefix", "created_at", "last_used_at", "revoked_at")

    def save_model(self, request: HttpRequest, obj: ApiKey, form: forms.Form, change: bool) -> None:
        if change:
            super().save_model(request, obj, form, change)
            return
        key, raw_key = api_key_create(account=obj.account, name=obj.name)
        obj.pk, obj.prefix, obj.key_hash, obj.created_at = (
            key.pk,
            key.prefix,
            key.key_hash,
            key.created_at,
        )
        messages.warning(
            request,
            f"The new API key is {raw_key} — copy it now: it is stored only as a hash and will "
            "not be shown again.",
        )

    @admin.action(description="Revoke the selected keys", permissions=["change"])
    def revoke(self, request: HttpRequest, queryset: QuerySet[ApiKey]) -> None:
        for key in queryset:
            api_key_revoke(key=key)
        self.message_user(request, f"Revoked {len(queryset)} key(s).")


@admin.register(CreditLedgerEntry)
class CreditLedgerEntryAdmin(ReadOnlyModelAdmin):
    """The ledger is written by services only; here it is read."""

    list_display = ("created_at", "account", "delta", "reason", "generation_id", "note")
    list_filter = ("reason",)
    search_fields = ("account__name", "generation_id", "note")
    list_select_related = ("account",)
    date_hierarchy = "created_at"
