include $(sort $(wildcard $(BR2_EXTERNAL_PULLPRINT_PATH)/package/*/*.mk))
