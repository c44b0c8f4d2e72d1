//! A button that copies a value to the clipboard.

use yew::prelude::*;

#[derive(Properties, PartialEq)]
pub struct CopyProps {
    /// What goes to the clipboard.
    pub text: AttrValue,
    pub label: AttrValue,
    #[prop_or_default]
    pub testid: Option<AttrValue>,
}

/// A button that copies `text` and says so ("Copied ✓") until the text changes.
#[function_component(CopyButton)]
pub fn copy_button(props: &CopyProps) -> Html {
    let copied = use_state(|| false);
    {
        let copied = copied.clone();
        use_effect_with(props.text.clone(), move |_| copied.set(false));
    }
    let onclick = {
        let (text, copied) = (props.text.clone(), copied.clone());
        Callback::from(move |_: MouseEvent| {
            if crate::dom::copy_text(&text) {
                copied.set(true);
            }
        })
    };
    html! {
        <button class="button secondary small copy" data-testid={props.testid.clone()} {onclick}
            title={format!("Copy to the clipboard: {}", props.text)} aria-live="polite">
            { if *copied { "Copied ✓".into() } else { props.label.clone() } }</button>
    }
}
