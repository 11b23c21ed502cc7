import { mount } from 'svelte';
import './app.css';
import App from './App.svelte';
import { theme } from './stores';

// Touch the theme store first so the stored choice applies before the first paint of the app.
void theme;

const target = document.getElementById('app');
if (!target) throw new Error('#app element missing');

export default mount(App, { target });
