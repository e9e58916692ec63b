import { registry } from "@web/core/registry";

// An admin tests a backend's connection from its form: the status bar must say what the button found,
// without reloading the page by hand.
registry.category("web_tour.tours").add("sync_base_test_connection", {
    steps: () => [
        {
            content: "The backend is not connected yet",
            trigger: ".o_form_view .o_statusbar_status button.o_arrow_button_current:contains('Not tested')",
        },
        {
            content: "Test the connection",
            trigger: ".o_form_view button[name='action_test_connection']",
            run: "click",
        },
        {
            content: "The notification says it works",
            trigger: ".o_notification:contains('Connection works')",
        },
        {
            content: "The status bar shows the backend connected",
            trigger: ".o_form_view .o_statusbar_status button.o_arrow_button_current:contains('Connected')",
        },
    ],
});
