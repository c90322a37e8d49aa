# ksmctl and ksm-authorized-keys.
