import { createApp, watch } from 'vue'
import { createPinia } from 'pinia'
import App from './App.vue'
import { makeI18n } from './i18n'
import { makeRouter } from './router'
import { usePrefsStore } from './stores/prefs'
import { useStatusStore } from './stores/status'
import './style.css'

const app = createApp(App)
const pinia = createPinia()
app.use(pinia)
const prefs = usePrefsStore()
const i18n = makeI18n(prefs.language)
watch(
  () => prefs.language,
  (l) => (i18n.global.locale.value = l),
)
app.use(i18n)
app.use(makeRouter())
app.mount('#app')
void useStatusStore().start()
