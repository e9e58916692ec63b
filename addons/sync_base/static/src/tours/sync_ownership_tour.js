import { registry } from "@web/core/registry";

registry.category("web_tour.tours").add("sync_base_ownership_banner", {
    steps: () => [
        {
            content: "The contact form says which system owns which field",
            trigger: ".alert:contains('Owned by HubSpot'):contains('Email')",
        },
        {
            content: "A field HubSpot owns is read-only for a Sync user",
            trigger: ".o_field_widget[name='email'].o_readonly_modifier",
        },
        {
            content: "A field Odoo owns stays editable",
            trigger: ".o_field_widget[name='function']:not(.o_readonly_modifier)",
        },
    ],
});

registry.category("web_tour.tours").add("sync_base_conflict_inbox", {
    steps: () => [
        {
            content: "The open conflict shows both values side by side",
            trigger: ".o_data_row:contains('https://ada.example.com'):contains('https://new.example.com')",
        },
        {
            content: "Accept the incoming value",
            trigger: ".o_data_row:contains('https://new.example.com') button[name='action_accept_incoming']",
            run: "click",
        },
        {
            content: "It left the inbox",
            trigger: ".o_list_view:not(:has(.o_data_row:contains('https://new.example.com')))",
        },
    ],
});
