/* Fitting Room: the "Try it on" widget of the theme app block. No framework, no build step.
 *
 * Reads the product, selected variant, locale and proxy base from the block's data attributes,
 * talks to {proxyBase}/public/* (Shopify's app proxy forwards it to our /proxy/public/*) and adds
 * the shown variant to the cart with Shopify's AJAX cart API. */
(function () {
  "use strict";
  if (window.FittingRoom) return;

  var STRINGS = {
    en: {
      button: "Try it on",
      title: "Try on {product}",
      close: "Close",
      intro: "See how it looks on you. Use a well-lit photo of yourself facing the camera, waist up.",
      consent: "I agree that my photo is used to create this preview. It is deleted after {days} days.",
      remember: "Remember my photo on this device",
      camera: "Take a photo",
      gallery: "Choose a photo",
      saved: "Use my saved photo",
      forget: "Forget my photo",
      forgotten: "Your photo is no longer remembered on this device.",
      consentFirst: "Tick the box above to continue.",
      preparing: "Preparing your photo…",
      uploading: "Uploading your photo… {pct}%",
      working: "Creating your try-on…",
      left: "About {s} seconds left",
      left1: "About 1 second left",
      almost: "Almost done…",
      resultAlt: "You wearing {product}",
      before: "Show my photo",
      after: "Show the try-on",
      download: "Download",
      addToCart: "Add to cart",
      adding: "Adding…",
      added: "Added to cart.",
      viewCart: "View cart",
      addFailed: "This item could not be added to the cart. Please try again.",
      another: "Try another photo",
      share: "Share",
      shared: "Link copied.",
      shareNote: "Anyone with the link can see this picture for {days} days, even after your photo is deleted.",
      emailAsk: "Want this look in your inbox? Leave your e-mail.",
      emailLabel: "E-mail",
      emailConsent: "Send me news and offers",
      emailSend: "Send",
      emailThanks: "Thank you!",
      retry: "Try again",
      e_limit: "You have used all your try-ons for this week. You can try again on {when}.",
      e_limitLater: "You have used all your try-ons for this week. Please try again later.",
      e_busy: "Too many photos in a short time. Please wait a minute and try again.",
      e_retry: "A brief hiccup on our side. Please try again in a moment.",
      e_unavailable: "Try-on is not available in this store right now.",
      e_tooLarge: "This photo is too large. Please choose one under 10 MB.",
      e_image: "We could not read this photo. Please choose a JPEG, PNG, WebP or HEIC photo.",
      e_imageWhy: "This photo cannot be used: {why}",
      e_photoGone: "Your saved photo has expired. Please choose a new one.",
      e_product: "This product cannot be tried on right now.",
      e_noPerson:
        "We could not find a person facing the camera. Please use a photo of yourself from the front, waist up.",
      e_dark: "This photo is too dark. Please take one in better light.",
      e_bright: "This photo is too bright. Please avoid strong light on you or behind you.",
      e_blurry: "This photo is blurred. Please hold still and let the camera focus.",
      e_people: "Several people are in this photo. Please use a photo of you alone.",
      e_far: "You are too far away in this photo. Please step closer or crop it.",
      e_small: "This photo is too small. Please choose a larger one.",
      e_content: "This photo cannot be used. Please choose another one.",
      e_slow: "The try-on service is busy. Please try again in a few minutes.",
      e_lost: "This try-on could not be found. Please try again.",
      e_network: "No connection. Check your internet connection and try again.",
      e_generic: "Something went wrong. Please try again."
    },
    fr: {
      button: "Essayer",
      title: "Essayer {product}",
      close: "Fermer",
      intro: "Voyez le rendu sur vous. Utilisez une photo bien éclairée, de face, jusqu’à la taille.",
      consent: "J’accepte que ma photo serve à créer cet aperçu. Elle est supprimée après {days} jours.",
      remember: "Mémoriser ma photo sur cet appareil",
      camera: "Prendre une photo",
      gallery: "Choisir une photo",
      saved: "Utiliser ma photo enregistrée",
      forget: "Oublier ma photo",
      forgotten: "Votre photo n’est plus mémorisée sur cet appareil.",
      consentFirst: "Cochez la case ci-dessus pour continuer.",
      preparing: "Préparation de votre photo…",
      uploading: "Envoi de votre photo… {pct} %",
      working: "Création de votre essayage…",
      left: "Environ {s} secondes restantes",
      left1: "Environ 1 seconde restante",
      almost: "Presque terminé…",
      resultAlt: "Vous portant {product}",
      before: "Voir ma photo",
      after: "Voir l’essayage",
      download: "Télécharger",
      addToCart: "Ajouter au panier",
      adding: "Ajout…",
      added: "Ajouté au panier.",
      viewCart: "Voir le panier",
      addFailed: "Impossible d’ajouter cet article au panier. Veuillez réessayer.",
      another: "Essayer une autre photo",
      share: "Partager",
      shared: "Lien copié.",
      shareNote: "Toute personne ayant le lien peut voir cette image pendant {days} jours, même après la suppression de votre photo.",
      emailAsk: "Recevoir ce look par e-mail ? Laissez votre adresse.",
      emailLabel: "E-mail",
      emailConsent: "Recevoir les nouveautés et les offres",
      emailSend: "Envoyer",
      emailThanks: "Merci !",
      retry: "Réessayer",
      e_limit: "Vous avez utilisé tous vos essayages de la semaine. Vous pourrez réessayer le {when}.",
      e_limitLater: "Vous avez utilisé tous vos essayages de la semaine. Veuillez réessayer plus tard.",
      e_busy: "Trop de photos en peu de temps. Patientez une minute puis réessayez.",
      e_retry: "Petit contretemps de notre côté. Réessayez dans un instant.",
      e_unavailable: "L’essayage n’est pas disponible dans cette boutique pour le moment.",
      e_tooLarge: "Cette photo est trop lourde. Choisissez-en une de moins de 10 Mo.",
      e_image: "Nous n’avons pas pu lire cette photo. Choisissez une photo JPEG, PNG, WebP ou HEIC.",
      e_imageWhy: "Cette photo ne peut pas être utilisée : {why}",
      e_photoGone: "Votre photo enregistrée a expiré. Veuillez en choisir une nouvelle.",
      e_product: "Ce produit ne peut pas être essayé pour le moment.",
      e_noPerson:
        "Nous n’avons trouvé personne face à l’objectif. Utilisez une photo de vous de face, jusqu’à la taille.",
      e_dark: "Cette photo est trop sombre. Prenez-en une avec plus de lumière.",
      e_bright: "Cette photo est trop claire. Évitez une lumière forte sur vous ou derrière vous.",
      e_blurry: "Cette photo est floue. Restez immobile et laissez l’appareil faire la mise au point.",
      e_people: "Il y a plusieurs personnes sur cette photo. Utilisez une photo de vous seul(e).",
      e_far: "Vous êtes trop loin sur cette photo. Rapprochez-vous ou recadrez-la.",
      e_small: "Cette photo est trop petite. Choisissez-en une plus grande.",
      e_content: "Cette photo ne peut pas être utilisée. Veuillez en choisir une autre.",
      e_slow: "Le service d’essayage est très sollicité. Réessayez dans quelques minutes.",
      e_lost: "Cet essayage est introuvable. Veuillez réessayer.",
      e_network: "Pas de connexion. Vérifiez votre connexion internet puis réessayez.",
      e_generic: "Un problème est survenu. Veuillez réessayer."
    },
    es: {
      button: "Probártelo",
      title: "Pruébate {product}",
      close: "Cerrar",
      intro: "Mira cómo te queda. Usa una foto bien iluminada, de frente y hasta la cintura.",
      consent: "Acepto que mi foto se use para crear esta vista previa. Se elimina tras {days} días.",
      remember: "Recordar mi foto en este dispositivo",
      camera: "Hacer una foto",
      gallery: "Elegir una foto",
      saved: "Usar mi foto guardada",
      forget: "Olvidar mi foto",
      forgotten: "Tu foto ya no se recuerda en este dispositivo.",
      consentFirst: "Marca la casilla de arriba para continuar.",
      preparing: "Preparando tu foto…",
      uploading: "Subiendo tu foto… {pct} %",
      working: "Creando tu prueba…",
      left: "Quedan unos {s} segundos",
      left1: "Queda 1 segundo aproximadamente",
      almost: "Casi listo…",
      resultAlt: "Tú con {product}",
      before: "Ver mi foto",
      after: "Ver la prueba",
      download: "Descargar",
      addToCart: "Añadir al carrito",
      adding: "Añadiendo…",
      added: "Añadido al carrito.",
      viewCart: "Ver carrito",
      addFailed: "No se pudo añadir este artículo al carrito. Inténtalo de nuevo.",
      another: "Probar otra foto",
      share: "Compartir",
      shared: "Enlace copiado.",
      shareNote: "Quien tenga el enlace podrá ver esta imagen durante {days} días, incluso después de borrar tu foto.",
      emailAsk: "¿Quieres este look en tu correo? Deja tu e-mail.",
      emailLabel: "Correo electrónico",
      emailConsent: "Quiero recibir novedades y ofertas",
      emailSend: "Enviar",
      emailThanks: "¡Gracias!",
      retry: "Intentar de nuevo",
      e_limit: "Has usado todas tus pruebas de esta semana. Podrás volver a probar el {when}.",
      e_limitLater: "Has usado todas tus pruebas de esta semana. Inténtalo más tarde.",
      e_busy: "Demasiadas fotos en poco tiempo. Espera un minuto y vuelve a intentarlo.",
      e_retry: "Un pequeño fallo por nuestra parte. Vuelve a intentarlo en un momento.",
      e_unavailable: "La prueba virtual no está disponible en esta tienda ahora mismo.",
      e_tooLarge: "Esta foto es demasiado grande. Elige una de menos de 10 MB.",
      e_image: "No pudimos leer esta foto. Elige una foto JPEG, PNG, WebP o HEIC.",
      e_imageWhy: "Esta foto no se puede usar: {why}",
      e_photoGone: "Tu foto guardada ha caducado. Elige una nueva.",
      e_product: "Este producto no se puede probar ahora mismo.",
      e_noPerson:
        "No encontramos a nadie mirando a la cámara. Usa una foto tuya de frente, hasta la cintura.",
      e_dark: "Esta foto está demasiado oscura. Hazla con más luz.",
      e_bright: "Esta foto está demasiado clara. Evita una luz fuerte sobre ti o detrás de ti.",
      e_blurry: "Esta foto está borrosa. Quédate quieto y deja que la cámara enfoque.",
      e_people: "Hay varias personas en esta foto. Usa una foto en la que estés solo.",
      e_far: "Estás demasiado lejos en esta foto. Acércate o recórtala.",
      e_small: "Esta foto es demasiado pequeña. Elige una más grande.",
      e_content: "Esta foto no se puede usar. Elige otra.",
      e_slow: "El servicio de prueba está saturado. Inténtalo de nuevo en unos minutos.",
      e_lost: "No se encontró esta prueba. Inténtalo de nuevo.",
      e_network: "Sin conexión. Comprueba tu conexión a internet e inténtalo de nuevo.",
      e_generic: "Algo salió mal. Inténtalo de nuevo."
    },
    de: {
      button: "Anprobieren",
      title: "{product} anprobieren",
      close: "Schließen",
      intro: "Sieh, wie es an dir aussieht. Nimm ein gut beleuchtetes Foto von vorn, bis zur Taille.",
      consent: "Ich bin einverstanden, dass mein Foto für diese Vorschau verwendet wird. Es wird nach {days} Tagen gelöscht.",
      remember: "Mein Foto auf diesem Gerät merken",
      camera: "Foto aufnehmen",
      gallery: "Foto auswählen",
      saved: "Gespeichertes Foto verwenden",
      forget: "Mein Foto vergessen",
      forgotten: "Dein Foto ist auf diesem Gerät nicht mehr gespeichert.",
      consentFirst: "Setze oben das Häkchen, um fortzufahren.",
      preparing: "Dein Foto wird vorbereitet…",
      uploading: "Dein Foto wird hochgeladen… {pct} %",
      working: "Deine Anprobe wird erstellt…",
      left: "Noch etwa {s} Sekunden",
      left1: "Noch etwa 1 Sekunde",
      almost: "Gleich fertig…",
      resultAlt: "Du mit {product}",
      before: "Mein Foto zeigen",
      after: "Anprobe zeigen",
      download: "Herunterladen",
      addToCart: "In den Warenkorb",
      adding: "Wird hinzugefügt…",
      added: "Zum Warenkorb hinzugefügt.",
      viewCart: "Warenkorb ansehen",
      addFailed: "Der Artikel konnte nicht in den Warenkorb gelegt werden. Bitte versuche es erneut.",
      another: "Anderes Foto probieren",
      share: "Teilen",
      shared: "Link kopiert.",
      shareNote: "Wer den Link hat, kann dieses Bild {days} Tage lang sehen, auch nachdem dein Foto gelöscht wurde.",
      emailAsk: "Diesen Look per E-Mail erhalten? Hinterlasse deine Adresse.",
      emailLabel: "E-Mail",
      emailConsent: "Neuigkeiten und Angebote erhalten",
      emailSend: "Senden",
      emailThanks: "Danke!",
      retry: "Erneut versuchen",
      e_limit: "Du hast alle Anproben dieser Woche genutzt. Ab {when} kannst du es wieder versuchen.",
      e_limitLater: "Du hast alle Anproben dieser Woche genutzt. Bitte versuche es später erneut.",
      e_busy: "Zu viele Fotos in kurzer Zeit. Warte eine Minute und versuche es erneut.",
      e_retry: "Eine kurze Störung bei uns. Bitte versuche es gleich noch einmal.",
      e_unavailable: "Die Anprobe ist in diesem Shop gerade nicht verfügbar.",
      e_tooLarge: "Dieses Foto ist zu groß. Wähle eins unter 10 MB.",
      e_image: "Dieses Foto konnten wir nicht lesen. Wähle ein JPEG-, PNG-, WebP- oder HEIC-Foto.",
      e_imageWhy: "Dieses Foto kann nicht verwendet werden: {why}",
      e_photoGone: "Dein gespeichertes Foto ist abgelaufen. Bitte wähle ein neues.",
      e_product: "Dieses Produkt kann gerade nicht anprobiert werden.",
      e_noPerson:
        "Wir konnten keine Person erkennen, die in die Kamera schaut. Nimm ein Foto von vorn, bis zur Taille.",
      e_dark: "Dieses Foto ist zu dunkel. Bitte mach eines bei besserem Licht.",
      e_bright: "Dieses Foto ist zu hell. Bitte vermeide starkes Licht auf dir oder hinter dir.",
      e_blurry: "Dieses Foto ist unscharf. Bitte halte still und lass die Kamera scharfstellen.",
      e_people: "Auf diesem Foto sind mehrere Personen. Bitte nimm ein Foto, auf dem nur du bist.",
      e_far: "Du bist auf diesem Foto zu weit weg. Bitte geh näher heran oder schneide es zu.",
      e_small: "Dieses Foto ist zu klein. Bitte wähle ein größeres.",
      e_content: "Dieses Foto kann nicht verwendet werden. Bitte wähle ein anderes.",
      e_slow: "Der Anprobe-Dienst ist ausgelastet. Bitte versuche es in ein paar Minuten erneut.",
      e_lost: "Diese Anprobe wurde nicht gefunden. Bitte versuche es erneut.",
      e_network: "Keine Verbindung. Prüfe deine Internetverbindung und versuche es erneut.",
      e_generic: "Etwas ist schiefgelaufen. Bitte versuche es erneut."
    }
  };

  // Every error code of the proxy API and every errorCode of a FAILED try-on, in plain words.
  var ERRORS = {
    RATE_LIMIT_EXCEEDED: "e_limit",
    RATE_LIMITED: "e_busy",
    UNAUTHORIZED: "e_unavailable",
    FORBIDDEN: "e_unavailable",
    SHOP_NOT_FOUND: "e_unavailable",
    SHOP_NOT_INSTALLED: "e_unavailable",
    SHOP_REAUTH_REQUIRED: "e_unavailable",
    QUOTA_EXCEEDED: "e_unavailable",
    BILLING_NOT_ALLOWED: "e_unavailable",
    FILE_TOO_LARGE: "e_tooLarge",
    PAYLOAD_TOO_LARGE: "e_tooLarge",
    FILE_REQUIRED: "e_image",
    INVALID_IMAGE: "e_image",
    UNSUPPORTED_MEDIA_TYPE: "e_image",
    PERSON_IMAGE_INVALID: "e_image",
    USER_IMAGE_NOT_FOUND: "e_photoGone",
    PRODUCT_NOT_FOUND: "e_product",
    PRODUCT_IMAGE_INVALID: "e_product",
    PRODUCT_IMAGE_FETCH_FAILED: "e_product",
    VALIDATION_FAILED: "e_product",
    NO_PERSON_DETECTED: "e_noPerson",
    PHOTO_NO_PERSON: "e_noPerson",
    PHOTO_MULTIPLE_PEOPLE: "e_people",
    PHOTO_PERSON_TOO_SMALL: "e_far",
    PHOTO_TOO_DARK: "e_dark",
    PHOTO_TOO_BRIGHT: "e_bright",
    PHOTO_TOO_BLURRY: "e_blurry",
    PHOTO_TOO_SMALL: "e_small",
    PHOTO_REJECTED: "e_content",
    CREATION_FAILED: "e_retry",
    UPLOAD_NOT_FOUND: "e_retry",
    UPLOAD_FILE_MISSING: "e_retry",
    CONTENT_REJECTED: "e_content",
    ENGINE_TIMEOUT: "e_slow",
    ENGINE_UNAVAILABLE: "e_slow",
    SHOPIFY_UNAVAILABLE: "e_slow",
    SERVICE_UNAVAILABLE: "e_retry",
    GENERATION_NOT_FOUND: "e_lost",
    GENERATION_NOT_COMPLETED: "e_lost",
    SHARE_LINK_NOT_FOUND: "e_lost",
    EMAIL_CAPTURE_DISABLED: "e_generic",
    ENGINE_ERROR: "e_generic",
    NETWORK: "e_network"
  };

  var MAX_SIDE = 1536;
  var DIRECT_BYTES = 4 * 1024 * 1024;
  var KEY_VISITOR = "fittingRoom.visitorId";
  var KEY_PHOTO = "fittingRoom.photo";
  var counter = 0;

  function store(key, value) {
    try {
      if (value === undefined) return window.localStorage.getItem(key);
      if (value === null) window.localStorage.removeItem(key);
      else window.localStorage.setItem(key, value);
    } catch (e) {
      return null; // storage refused (private mode): the widget works, it just forgets
    }
    return null;
  }

  function visitorId() {
    var id = store(KEY_VISITOR);
    if (id && /^[A-Za-z0-9_-]{8,64}$/.test(id)) return id;
    var bytes = new Uint8Array(12);
    window.crypto.getRandomValues(bytes);
    id = "v_" + Array.prototype.map.call(bytes, function (b) {
      return ("0" + b.toString(16)).slice(-2);
    }).join("");
    store(KEY_VISITOR, id);
    return id;
  }

  function numericId(gid) {
    var match = /(\d+)$/.exec(gid || "");
    return match ? match[1] : "";
  }

  function el(tag, attrs, children) {
    var node = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (name) {
      if (name === "text") node.textContent = attrs[name];
      else if (attrs[name] === true) node.setAttribute(name, "");
      else if (attrs[name] !== false && attrs[name] != null) node.setAttribute(name, attrs[name]);
    });
    (children || []).forEach(function (child) {
      node.appendChild(child);
    });
    return node;
  }

  function ApiError(code, status, extra) {
    this.code = code;
    this.status = status;
    this.extra = extra || {};
  }

  function errorFrom(status, body, retryAfter) {
    body = body || {};
    var resets = null;
    (body.details || []).forEach(function (d) {
      var m = /^resetsAt=(.+)$/.exec((d && d.message) || "");
      if (m) resets = new Date(m[1]);
    });
    if ((!resets || isNaN(resets)) && retryAfter && /^\d+$/.test(retryAfter)) {
      resets = new Date(Date.now() + 1000 * Number(retryAfter));
    }
    var code = body.code;
    // A refused photo: say what to fix (its first issue), not just "refused".
    if (code === "PHOTO_REJECTED" && body.details && body.details[0]) code = body.details[0].code;
    return new ApiError(code || (status >= 500 ? "ENGINE_UNAVAILABLE" : "UNKNOWN"), status, {
      resetsAt: resets,
      message: body.message
    });
  }

  function Widget(root) {
    var data = root.dataset;
    this.root = root;
    this.lang = (data.locale || document.documentElement.lang || "en").slice(0, 2).toLowerCase();
    if (!STRINGS[this.lang]) this.lang = "en";
    this.base = (data.proxyBase || "/apps/fitting-room").replace(/\/+$/, "") + "/public/";
    this.cartRoot = (data.shopRoot || "/").replace(/\/?$/, "/");
    this.retentionDays = 7;
    this.typicalSeconds = 15;
    this.id = ++counter;
    this.button = root.querySelector(".fr-button");
    if (!this.button) {
      this.button = el("button", { type: "button", class: "fr-button", hidden: true });
      root.appendChild(this.button);
    }
    if (!this.button.textContent.trim()) this.button.textContent = this.t("button");
    this.button.addEventListener("click", this.open.bind(this));
    this.place();
    this.followVariants();
    this.checkCredits();
    this.trackPage();
  }

  var W = Widget.prototype;

  W.t = function (key, values) {
    var text = STRINGS[this.lang][key] || STRINGS.en[key] || key;
    return text.replace(/\{(\w+)\}/g, function (_, name) {
      return values && values[name] != null ? values[name] : "";
    });
  };

  W.productForm = function () {
    var scope = this.root.closest("section, product-info, .product, main") || document;
    var selector = 'form[action*="/cart/add"]';
    return scope.querySelector(selector) || document.querySelector(selector);
  };

  // Placement "cart": sit right after the theme's Add to cart button rather than where the
  // merchant dropped the block.
  W.place = function () {
    if (this.root.dataset.placement !== "cart") return;
    var form = this.productForm();
    var submit = form && form.querySelector('[type="submit"], [name="add"]');
    if (submit && submit.parentNode) submit.parentNode.insertBefore(this.root, submit.nextSibling);
  };

  W.followVariants = function () {
    var self = this;
    document.addEventListener("change", function (event) {
      var target = event.target;
      if (target && target.name === "id" && target.closest('form[action*="/cart/add"]')) {
        if (/^\d+$/.test(target.value)) self.setVariant(target.value);
      }
    });
    window.addEventListener("popstate", function () {
      self.variant();
    });
  };

  W.setVariant = function (numeric) {
    this.root.dataset.variantId = "gid://shopify/ProductVariant/" + numeric;
  };

  // The variant the shopper has selected now: the product form's id, else ?variant=, else the
  // one the page was rendered with.
  W.variant = function () {
    var form = this.productForm();
    var input = form && form.querySelector('[name="id"]');
    var fromUrl = /[?&]variant=(\d+)/.exec(window.location.search);
    var numeric = (input && /^\d+$/.test(input.value) && input.value) || (fromUrl && fromUrl[1]);
    if (numeric) this.setVariant(numeric);
    return this.root.dataset.variantId || "";
  };

  W.request = function (method, path, body) {
    var options = { method: method, headers: { Accept: "application/json" }, credentials: "same-origin" };
    if (body) {
      options.headers["Content-Type"] = "application/json";
      options.body = JSON.stringify(body);
    }
    return window.fetch(this.base + path, options).then(
      function (response) {
        return response.json().then(
          function (json) {
            if (response.ok && !json.code) return json;
            throw errorFrom(response.status, json, response.headers.get("Retry-After"));
          },
          function () {
            throw errorFrom(response.status, null, response.headers.get("Retry-After"));
          }
        );
      },
      function () {
        throw new ApiError("NETWORK", 0);
      }
    );
  };

  W.checkCredits = function () {
    var self = this;
    this.request("GET", "check-credits?productId=" + encodeURIComponent(this.root.dataset.productId || "")).then(
      function (answer) {
        if (answer.retentionDays) self.retentionDays = answer.retentionDays;
        if (answer.typicalSeconds) self.typicalSeconds = answer.typicalSeconds;
        self.emailAsk = answer.emailCapture;
        self.button.hidden = !answer.allowed;
        self.root.dataset.state = answer.allowed ? "ready" : "unavailable";
      },
      function () {
        self.root.dataset.state = "unavailable";
      }
    );
  };

  /* ---------------------------------------------------------------- the dialog */

  W.build = function () {
    var self = this;
    var titleId = "fr-title-" + this.id;
    var t = this.t.bind(this);
    var product = this.root.dataset.productTitle || "";
    // `capture` opens a camera only on phones and tablets; a desktop would show the same picker.
    var touch = !!(window.matchMedia && window.matchMedia("(pointer: coarse)").matches);
    function button(act, text, cls, extra) {
      return el("button", Object.assign({ type: "button", class: cls, "data-act": act, text: text }, extra));
    }
    this.consent = el("input", { type: "checkbox", class: "fr-consent" });
    this.remember = el("input", { type: "checkbox", class: "fr-remember" });
    this.camera = el("input", { type: "file", accept: "image/*", capture: "user", class: "fr-input-camera", hidden: true, tabindex: "-1" });
    this.gallery = el("input", { type: "file", accept: "image/*", class: "fr-input-gallery", hidden: true, tabindex: "-1" });
    this.status = el("p", { class: "fr-status", tabindex: "-1" });
    this.bar = el("div", { class: "fr-bar", role: "progressbar", "aria-valuemin": "0", "aria-valuemax": "100", "aria-valuenow": "0" }, [el("span")]);
    this.eta = el("p", { class: "fr-eta" });
    this.image = el("img", { class: "fr-result", alt: t("resultAlt", { product: product }) });
    this.download = el("a", { class: "fr-secondary", "data-act": "download", download: "try-on.jpg", href: "#", text: t("download") });
    this.cartMessage = el("p", { class: "fr-cart-msg", role: "status" });
    this.errorText = el("p", { class: "fr-error", role: "alert", tabindex: "-1" });
    this.live = el("p", { class: "fr-sr", "aria-live": "polite" });
    this.steps = {
      start: el("section", { "data-step": "start" }, [
        el("p", { class: "fr-intro", text: t("intro") }),
        el("label", { class: "fr-check" }, [this.consent, el("span", { class: "fr-consent-text", text: t("consent", { days: this.retentionDays }) })]),
        el("label", { class: "fr-check" }, [this.remember, el("span", { text: t("remember") })]),
        el("p", { class: "fr-hint", text: t("consentFirst") }),
        el("div", { class: "fr-actions" }, [
          button("saved", t("saved"), "fr-primary", { hidden: true }),
          button("camera", t("camera"), "fr-primary", { hidden: !touch }),
          button("gallery", t("gallery"), touch ? "fr-secondary" : "fr-primary"),
          button("forget", t("forget"), "fr-link", { hidden: true })
        ]),
        this.camera,
        this.gallery
      ]),
      progress: el("section", { "data-step": "progress", hidden: true }, [this.status, this.bar, this.eta]),
      result: el("section", { "data-step": "result", hidden: true }, [
        el("div", { class: "fr-figure" }, [this.image]),
        el("div", { class: "fr-actions" }, [
          button("cart", t("addToCart"), "fr-primary"),
          button("toggle", t("before"), "fr-secondary", { "aria-pressed": "false" }),
          this.download,
          button("share", t("share"), "fr-secondary"),
          button("another", t("another"), "fr-link")
        ]),
        this.cartMessage,
        (this.emailForm = el("form", { class: "fr-email", hidden: true }))
      ]),
      error: el("section", { "data-step": "error", hidden: true }, [
        this.errorText,
        el("div", { class: "fr-actions" }, [button("retry", t("retry"), "fr-primary")])
      ])
    };
    var body = el("div", { class: "fr-body" }, Object.keys(this.steps).map(function (k) {
      return self.steps[k];
    }));
    this.dialog = el("dialog", { class: "fr-dialog", "aria-modal": "true", "aria-labelledby": titleId, lang: this.lang }, [
      el("div", { class: "fr-panel" }, [
        el("div", { class: "fr-head" }, [
          el("h2", { class: "fr-title", id: titleId, text: t("title", { product: product }) }),
          button("close", "×", "fr-close", { "aria-label": t("close") })
        ]),
        body,
        this.live
      ])
    ]);
    this.dialog.style.cssText = this.root.getAttribute("style") || "";
    this.dialog.addEventListener("click", function (event) {
      var act = event.target.closest && event.target.closest("[data-act]");
      if (event.target === self.dialog) return self.close(); // the backdrop
      if (act) self.act(act.getAttribute("data-act"), event);
    });
    this.dialog.addEventListener("keydown", this.trapFocus.bind(this));
    this.dialog.addEventListener("close", function () {
      document.documentElement.classList.remove("fr-lock");
      self.button.focus();
    });
    this.consent.addEventListener("change", this.syncStart.bind(this));
    [this.camera, this.gallery].forEach(function (input) {
      input.addEventListener("change", function () {
        var file = input.files && input.files[0];
        input.value = "";
        if (file) self.run(file);
      });
    });
    document.body.appendChild(this.dialog);
    this.show("start");
  };

  W.open = function () {
    track(this, "widget:button_click");
    if (!this.dialog) this.build();
    this.syncStart();
    document.documentElement.classList.add("fr-lock");
    if (this.dialog.showModal) this.dialog.showModal();
    else this.dialog.setAttribute("open", "");
    this.focusStep();
  };

  W.close = function () {
    if (this.dialog.close) this.dialog.close();
    else {
      this.dialog.removeAttribute("open");
      this.dialog.dispatchEvent(new Event("close"));
    }
  };

  W.focusables = function () {
    return Array.prototype.filter.call(
      this.dialog.querySelectorAll("button, a[href], input:not([type=file])"),
      function (node) {
        return !node.disabled && node.getClientRects().length > 0;
      }
    );
  };

  W.trapFocus = function (event) {
    if (event.key === "Escape" && !this.dialog.close) return this.close();
    if (event.key !== "Tab") return;
    var nodes = this.focusables();
    if (!nodes.length) return;
    var first = nodes[0];
    var last = nodes[nodes.length - 1];
    var inside = this.dialog.contains(document.activeElement);
    if (event.shiftKey && (document.activeElement === first || !inside)) {
      event.preventDefault();
      last.focus();
    } else if (!event.shiftKey && (document.activeElement === last || !inside)) {
      event.preventDefault();
      first.focus();
    }
  };

  W.show = function (name) {
    var self = this;
    this.step = name;
    Object.keys(this.steps).forEach(function (key) {
      self.steps[key].hidden = key !== name;
    });
    this.dialog.setAttribute("data-step", name);
    if (this.dialog.open) this.focusStep();
  };

  W.focusStep = function () {
    var target = {
      start: this.consent,
      progress: this.status,
      result: this.steps.result.querySelector("[data-act=cart]"),
      error: this.errorText
    }[this.step];
    if (target) target.focus();
  };

  W.savedPhoto = function () {
    try {
      var saved = JSON.parse(store(KEY_PHOTO) || "null");
      if (saved && saved.id && Date.now() - saved.at < (this.retentionDays - 0.5) * 864e5) return saved.id;
    } catch (e) {
      /* unreadable: treat as absent */
    }
    store(KEY_PHOTO, null);
    return null;
  };

  W.syncStart = function () {
    var ok = this.consent.checked;
    var saved = this.savedPhoto();
    var start = this.steps.start;
    this.remember.disabled = !ok;
    start.querySelector(".fr-consent-text").textContent = this.t("consent", { days: this.retentionDays });
    start.querySelector(".fr-hint").hidden = ok;
    ["camera", "gallery", "saved"].forEach(function (act) {
      start.querySelector("[data-act=" + act + "]").disabled = !ok;
    });
    start.querySelector("[data-act=saved]").hidden = !saved;
    start.querySelector("[data-act=forget]").hidden = !saved;
    if (saved) this.remember.checked = true;
  };

  W.act = function (act, event) {
    if (act === "close") this.close();
    else if (act === "camera") this.camera.click();
    else if (act === "gallery") this.gallery.click();
    else if (act === "saved") this.run(null, this.savedPhoto());
    else if (act === "forget") {
      store(KEY_PHOTO, null);
      this.remember.checked = false;
      this.syncStart();
      this.live.textContent = this.t("forgotten");
      this.consent.focus();
    } else if (act === "toggle") this.toggle();
    else if (act === "download") {
      event.preventDefault();
      track(this, "widget:download_clicked", { job_id: this.jobId });
      this.save();
    } else if (act === "cart") this.addToCart();
    else if (act === "share") this.shareResult();
    else if (act === "email") this.sendEmail();
    else if (act === "another" || act === "retry") {
      this.show("start");
      this.syncStart();
    }
  };

  /* ---------------------------------------------------------------- the try-on */

  W.progress = function (fraction, text, eta) {
    var pct = Math.round(Math.max(0, Math.min(1, fraction)) * 100);
    this.bar.setAttribute("aria-valuenow", String(pct));
    this.bar.firstChild.style.width = pct + "%";
    if (text != null && this.status.textContent !== text) this.status.textContent = text;
    this.eta.textContent = eta || "";
  };

  W.run = function (file, fileId) {
    var self = this;
    if (!this.consent.checked) return;
    var token = (this.token = {});
    this.before = null;
    this.show("progress");
    this.progress(0, this.t(file ? "preparing" : "working"));
    var photo = file
      ? downscale(file).then(function (blob) {
          self.before = URL.createObjectURL(blob);
          return self.upload(blob, token).then(function (id) {
            track(self, "widget:image_upload");
            return id;
          });
        })
      : Promise.resolve(fileId);
    photo
      .then(function (id) {
        if (self.remember.checked) store(KEY_PHOTO, JSON.stringify({ id: id, at: Date.now() }));
        else store(KEY_PHOTO, null);
        var variant = self.variant();
        self.shownVariant = numericId(variant);
        var body = { userImageId: id, productId: self.root.dataset.productId, visitorId: visitorId() };
        if (variant) body.variantId = variant;
        return self.request("POST", "fitting-room", body);
      })
      .then(function (job) {
        self.jobId = job.jobId;
        self.share = null;
        track(self, "widget:generation_start", { job_id: job.jobId });
        return self.waitFor(job.jobId, token);
      })
      .then(function (result) {
        if (token === self.token) self.showResult(result);
      })
      .catch(function (error) {
        if (token !== self.token) return;
        if (error && error.code === "USER_IMAGE_NOT_FOUND") store(KEY_PHOTO, null);
        self.showError(error);
      });
  };

  // Small photos go through the proxy in one request; larger ones (a HEIC the browser could
  // not shrink) go straight to storage: prepare-upload, PUT, upload-complete.
  W.upload = function (blob, token) {
    var self = this;
    if (blob.size <= DIRECT_BYTES) return this.send("POST", this.base + "upload-image", blob, token);
    return this.request("POST", "prepare-upload").then(function (slot) {
      return self.send("PUT", slot.uploadUrl, blob, token).then(function () {
        return self.request("POST", "upload-complete", { uploadKey: slot.uploadKey, visitorId: visitorId() });
      });
    }).then(checked);
  };

  // The upload's photo check: a photo with an issue stops here, before a try-on is spent.
  function checked(json) {
    if (json.quality && !json.quality.ok) throw new ApiError(json.quality.issues[0].code, 201);
    return json.fileId;
  }

  W.send = function (method, url, blob, token) {
    var self = this;
    return new Promise(function (resolve, reject) {
      var xhr = new XMLHttpRequest();
      var form = blob;
      if (method === "POST") {
        form = new FormData();
        form.append("file", blob, blob.name || "photo.jpg");
        form.append("visitorId", visitorId());
      }
      xhr.open(method, url);
      if (method === "PUT") xhr.setRequestHeader("Content-Type", "application/octet-stream");
      else xhr.setRequestHeader("Accept", "application/json");
      xhr.upload.onprogress = function (event) {
        if (!event.lengthComputable || token !== self.token) return;
        var pct = Math.round((100 * event.loaded) / event.total);
        self.progress((0.3 * event.loaded) / event.total, self.t("uploading", { pct: pct }));
      };
      xhr.onload = function () {
        var json = null;
        try {
          json = JSON.parse(xhr.responseText);
        } catch (e) {
          /* not JSON: handled below */
        }
        if (method === "PUT" && xhr.status < 300) resolve();
        else if (xhr.status === 201 && json && json.fileId) {
          try {
            resolve(checked(json));
          } catch (e) {
            reject(e);
          }
        } else reject(errorFrom(xhr.status, json, xhr.getResponseHeader("Retry-After")));
      };
      xhr.onerror = function () {
        reject(new ApiError("NETWORK", 0));
      };
      xhr.send(form);
    });
  };

  // Long-polls the status (?wait=20); when answers come back at once (a proxy that does not hold
  // requests) it falls back to asking every 2 s. The bar advances on the shop's typical time.
  W.waitFor = function (jobId, token) {
    var self = this;
    var started = Date.now();
    var typical = Math.max(2, this.typicalSeconds);
    var from = Number(this.bar.getAttribute("aria-valuenow")) / 100; // where the upload left it
    this.progress(from, this.t("working"));
    var timer = window.setInterval(function () {
      if (token !== self.token) return window.clearInterval(timer);
      var elapsed = (Date.now() - started) / 1000;
      var left = Math.ceil(typical - elapsed);
      var eta = left > 1 ? self.t("left", { s: left }) : left === 1 ? self.t("left1") : self.t("almost");
      self.progress(from + (0.95 - from) * Math.min(1, elapsed / typical), null, eta);
    }, 250);
    function ask(delay) {
      return new Promise(function (resolve) {
        window.setTimeout(resolve, delay);
      }).then(function () {
        if (token !== self.token) throw new ApiError("CANCELLED", 0);
        var asked = Date.now();
        return self.request("GET", "generation/" + encodeURIComponent(jobId) + "?wait=20").then(function (answer) {
          if (answer.status === "COMPLETED") return answer;
          if (answer.status === "FAILED") throw new ApiError(answer.errorCode || "ENGINE_ERROR", 200);
          return ask(Date.now() - asked < 1000 ? 2000 : 0);
        });
      });
    }
    return ask(0).then(
      function (answer) {
        window.clearInterval(timer);
        return answer;
      },
      function (error) {
        window.clearInterval(timer);
        throw error;
      }
    );
  };

  W.showResult = function (result) {
    var self = this;
    this.result = result.resultImageUrl;
    this.progress(1, this.t("working"));
    this.image.onload = function () {
      self.image.onload = null;
      self.show("result");
      track(self, "widget:result_view", { job_id: self.jobId });
      self.askEmail();
    };
    this.image.onerror = function () {
      self.showError(new ApiError("NETWORK", 0));
    };
    this.image.src = this.result;
    this.download.href = this.result;
    var toggle = this.steps.result.querySelector("[data-act=toggle]");
    toggle.hidden = !this.before;
    toggle.setAttribute("aria-pressed", "false");
    toggle.textContent = this.t("before");
    this.cartMessage.textContent = "";
  };

  W.showError = function (error) {
    var code = (error && error.code) || "ENGINE_ERROR";
    var key = ERRORS[code] || "e_generic";
    var text;
    if (key === "e_limit") {
      var at = error.extra && error.extra.resetsAt;
      text = at && !isNaN(at) ? this.t("e_limit", { when: this.formatWhen(at) }) : this.t("e_limitLater");
    } else if (code === "INVALID_IMAGE" && error.extra && error.extra.message) {
      text = this.t("e_imageWhy", { why: error.extra.message }); // the server says why
    } else text = this.t(key);
    this.errorText.textContent = text;
    // Trying again cannot help when the limit is reached or the shop cannot take try-ons; with
    // a photo the check refused, only another photo can.
    var final = key === "e_limit" || key === "e_unavailable";
    var act = final ? "close" : /^PHOTO_/.test(code) ? "another" : "retry";
    var retry = this.steps.error.querySelector(".fr-primary");
    retry.setAttribute("data-act", act);
    retry.textContent = this.t(act);
    this.dialog.setAttribute("data-error", code);
    this.show("error");
  };

  W.formatWhen = function (date) {
    try {
      return new Intl.DateTimeFormat(this.lang, {
        weekday: "long", day: "numeric", month: "long", hour: "numeric", minute: "2-digit"
      }).format(date);
    } catch (e) {
      return date.toLocaleString();
    }
  };

  W.toggle = function () {
    var toggle = this.steps.result.querySelector("[data-act=toggle]");
    var showingBefore = toggle.getAttribute("aria-pressed") === "true";
    this.image.src = showingBefore ? this.result : this.before;
    toggle.setAttribute("aria-pressed", String(!showingBefore));
    toggle.textContent = this.t(showingBefore ? "before" : "after");
  };

  // A cross-origin link ignores `download`; fetch the bytes when CORS allows, else open it.
  W.save = function () {
    var url = this.result;
    window.fetch(url).then(function (response) {
      if (!response.ok) throw new Error("download");
      return response.blob();
    }).then(function (blob) {
      var link = el("a", { href: URL.createObjectURL(blob), download: "try-on.jpg" });
      document.body.appendChild(link);
      link.click();
      link.remove();
    }).catch(function () {
      window.open(url, "_blank", "noopener");
    });
  };

  W.addToCart = function () {
    var self = this;
    var button = this.steps.result.querySelector("[data-act=cart]");
    var id = Number(this.shownVariant || numericId(this.variant()));
    button.disabled = true;
    button.textContent = this.t("adding");
    track(this, "widget:add_to_cart_clicked", { job_id: this.jobId });
    window.fetch(this.cartRoot + "cart/add.js", {
      method: "POST",
      credentials: "same-origin",
      headers: { "Content-Type": "application/json", Accept: "application/json" },
      // The job id rides on the line (hidden: leading underscore) for revenue attribution.
      body: JSON.stringify({ items: [{ id: id, quantity: 1, properties: { _fitting_room_job: this.jobId } }] })
    }).then(function (response) {
      if (!response.ok) throw new Error("cart");
      return response.json();
    }).then(function (cart) {
      track(self, "widget:add_to_cart_success", { job_id: self.jobId });
      self.tagCart();
      self.cartMessage.textContent = self.t("added") + " ";
      self.cartMessage.appendChild(el("a", { href: self.cartRoot + "cart", text: self.t("viewCart") }));
      document.dispatchEvent(new CustomEvent("fitting-room:added-to-cart", { bubbles: true, detail: cart }));
    }).catch(function () {
      self.cartMessage.textContent = self.t("addFailed");
    }).then(function () {
      button.disabled = false;
      button.textContent = self.t("addToCart");
    });
  };

  /* ------------------------------------------- funnel events, share, e-mail, cart attribution */

  // Events go in batches (every 3 s, at 20, and by sendBeacon when the page hides); failures are
  // ignored: tracking never blocks the shopper.
  var events = [];
  var flushing = 0;
  var sequence = 0;
  var pageviewId = Math.random().toString(36).slice(2);
  var LIB_VERSION = "1.1.0";

  function sessionId() {
    try {
      var id = window.sessionStorage.getItem("fittingRoom.session");
      if (!id) window.sessionStorage.setItem("fittingRoom.session", (id = Math.random().toString(36).slice(2)));
      return id;
    } catch (e) {
      return pageviewId;
    }
  }

  function track(widget, name, properties) {
    var data = widget.root.dataset;
    events.push({
      widget: widget,
      event: { event: name, properties: properties || {}, timestamp: new Date().toISOString(), $insert_id: pageviewId + "-" + ++sequence },
      context: {
        $current_url: window.location.href, $pathname: window.location.pathname, $host: window.location.host,
        $session_id: sessionId(), $pageview_id: pageviewId, fr_client_id: visitorId(),
        fr_product_id: data.productId, fr_variant_id: data.variantId, fr_lib_version: LIB_VERSION
      }
    });
    if (events.length >= 20) flush();
    else if (!flushing) flushing = window.setTimeout(flush, 3000);
  }

  function flush(beacon) {
    window.clearTimeout(flushing);
    flushing = 0;
    var sent = events.splice(0, 50);
    if (!sent.length) return;
    var url = sent[0].widget.base + "tracking/events";
    var body = JSON.stringify({ events: sent.map(function (e) { return e.event; }), context: sent[sent.length - 1].context });
    if (beacon && navigator.sendBeacon && navigator.sendBeacon(url, new Blob([body], { type: "application/json" }))) return;
    window.fetch(url, { method: "POST", credentials: "same-origin", keepalive: true, headers: { "Content-Type": "application/json" }, body: body }).catch(function () {});
  }

  document.addEventListener("visibilitychange", function () {
    if (document.visibilityState === "hidden") flush(true);
  });
  window.addEventListener("pagehide", function () {
    flush(true);
  });

  W.trackPage = function () {
    var self = this;
    track(this, "product_page:page_view");
    var form = this.productForm();
    if (form) form.addEventListener("submit", function () {
      track(self, "product_page:cart_add");
    });
  };

  // The visitor id as a hidden cart attribute: the order carries it (note_attributes), so a
  // purchase without the line property still counts as assisted by the try-on.
  W.tagCart = function () {
    window.fetch(this.cartRoot + "cart/update.js", {
      method: "POST", credentials: "same-origin", headers: { "Content-Type": "application/json" },
      body: JSON.stringify({ attributes: { _fitting_room_visitor: visitorId() } })
    }).catch(function () {});
  };

  W.shareResult = function () {
    var self = this;
    track(this, "widget:share_clicked", { job_id: this.jobId });
    var link = this.share || this.request("POST", "share-generation", {
      generationId: this.jobId, effectiveDomain: window.location.host, productPath: window.location.pathname, visitorId: visitorId()
    });
    this.share = link;
    link.then(function (answer) {
      var days = Math.max(1, Math.round((Date.parse(answer.expiresAt) - Date.now()) / 864e5));
      var note = self.t("shareNote", { days: days });
      if (navigator.share) return navigator.share({ url: answer.shareUrl, title: self.root.dataset.productTitle }).then(function () {
        self.cartMessage.textContent = note;
      }, function () {});
      return navigator.clipboard.writeText(answer.shareUrl).then(function () {
        self.cartMessage.textContent = self.t("shared") + " " + note;
      });
    }).catch(function (error) {
      self.share = null;
      self.cartMessage.textContent = self.t(ERRORS[error && error.code] || "e_generic");
    });
  };

  W.askEmail = function () {
    if (this.emailAsk !== "after_first_result" || store("fittingRoom.emailAsked")) return;
    var t = this.t.bind(this);
    this.emailInput = el("input", { type: "email", required: true, autocomplete: "email", "aria-label": t("emailLabel"), placeholder: t("emailLabel") });
    this.emailConsent = el("input", { type: "checkbox" });
    var form = this.emailForm;
    form.textContent = "";
    [el("p", { text: t("emailAsk") }), this.emailInput, el("label", { class: "fr-check" }, [this.emailConsent, el("span", { text: t("emailConsent") })]),
      el("button", { type: "button", class: "fr-secondary", "data-act": "email", text: t("emailSend") })].forEach(function (node) {
      form.appendChild(node);
    });
    form.onsubmit = function (event) {
      event.preventDefault();
    };
    form.hidden = false;
  };

  W.sendEmail = function () {
    if (!this.emailInput.checkValidity()) return this.emailInput.reportValidity();
    this.request("POST", "collect-email", { email: this.emailInput.value, marketingConsent: this.emailConsent.checked }).catch(function () {});
    store("fittingRoom.emailAsked", "1");
    track(this, "widget:email_collected", { marketing_consent: this.emailConsent.checked });
    this.emailForm.textContent = this.t("emailThanks");
  };

  // At most MAX_SIDE px, JPEG, when the browser can decode the photo; else the original (the
  // server reads HEIC and full-size files too).
  function downscale(file) {
    if (!window.createImageBitmap) return Promise.resolve(file);
    return window.createImageBitmap(file, { imageOrientation: "from-image" }).then(function (bitmap) {
      var scale = Math.min(1, MAX_SIDE / Math.max(bitmap.width, bitmap.height));
      var canvas = document.createElement("canvas");
      canvas.width = Math.round(bitmap.width * scale);
      canvas.height = Math.round(bitmap.height * scale);
      canvas.getContext("2d").drawImage(bitmap, 0, 0, canvas.width, canvas.height);
      if (bitmap.close) bitmap.close();
      return new Promise(function (resolve) {
        canvas.toBlob(function (blob) {
          resolve(blob || file);
        }, "image/jpeg", 0.9);
      });
    }).catch(function () {
      return file;
    });
  }

  function start() {
    document.querySelectorAll("[data-fitting-room]").forEach(function (root) {
      if (root.getAttribute("data-ready")) return;
      root.setAttribute("data-ready", "1");
      root.fittingRoom = new Widget(root);
    });
  }

  window.FittingRoom = { start: start, strings: STRINGS, errors: ERRORS };
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
  else start();
  // The theme editor re-renders sections in place; pick up blocks it adds.
  document.addEventListener("shopify:section:load", start);
})();
