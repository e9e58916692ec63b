import { registry } from "@web/core/registry";

registry.category("web_tour.tours").add("sync_base_failure_inbox", {
    steps: () => [
        {
            content: "The failed job is listed in the failure inbox",
            trigger: ".o_list_view .o_data_row:contains('TOUR-FAILED-JOB')",
        },
        {
            content: "Retry it",
            trigger: ".o_data_row:contains('TOUR-FAILED-JOB') button[name='action_retry']",
            run: "click",
        },
        {
            content: "It left the failed list",
            trigger: ".o_list_view:not(:has(.o_data_row:contains('TOUR-FAILED-JOB')))",
        },
    ],
});
